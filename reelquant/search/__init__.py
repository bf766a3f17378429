"""Semantic and full-text search over lesson transcripts: chunking, embedding, a LanceDB store and fused queries."""
