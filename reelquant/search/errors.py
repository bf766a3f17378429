"""Errors a user can cause while embedding or searching, each carrying one sentence that says what to do."""

from __future__ import annotations


class SearchError(ValueError):
    """Base class for user-fixable problems in reelquant.search."""


class ModelNotFoundError(SearchError):
    """The embedding model could not be found on this machine."""


class VectorStoreError(SearchError):
    """The vector store was asked for something its tables cannot hold."""
