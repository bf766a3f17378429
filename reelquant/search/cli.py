"""`reelquant search "QUERY"`: the best matching moments across every processed lesson, as a table or as JSON."""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from pathlib import Path
from typing import Any

from reelquant.search.embed import DEFAULT_MODEL
from reelquant.search.errors import SearchError

_TEXT_WIDTH = 70
_NOTHING = "no matching moments; process some videos first (`reelquant process VIDEO` or `reelquant demo`)."


def register(subparsers: Any) -> None:
    """Add the `search` subcommand to the main parser's subparsers and point it at `cmd_search`."""
    from reelquant.search.query import keyword_categories

    p = subparsers.add_parser("search", help="find the moments that best match a query across every processed lesson")
    p.add_argument("query", help="what to look for, in your own words")
    p.add_argument("--video", help="only this video id (its partition key)")
    p.add_argument("-k", type=int, default=5, help="how many moments to show (default: 5)")
    p.add_argument("--category", help=f"only moments that mention a term of this keyword category "
                                      f"({', '.join(keyword_categories())})")
    p.add_argument("--json", action="store_true", help="print the hits as JSON for scripts")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"embedding model of the index (default: {DEFAULT_MODEL})")
    p.set_defaults(func=cmd_search)


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_table(hits: list[dict[str, Any]]) -> str:
    """Hits as an aligned table: video, start–end (seconds), text (shortened), clip path."""
    rows = [(h["video_id"], f"{h['start_s']:.1f}–{h['end_s']:.1f}", _clip(h["text"], _TEXT_WIDTH),
             h.get("clip_path") or "-") for h in hits]
    header = ("video", "start–end", "text", "clip")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = [f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}" for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  ----")
    return "\n".join(line.rstrip() for line in lines)


@functools.cache
def _model(name: str) -> Any:
    # One load per process: a caller that runs several searches in one process pays for the model once.
    from reelquant.search.embed import load_embedder

    return load_embedder(name)


def _data_root(args: argparse.Namespace) -> Path:
    return Path(args.home or os.environ.get("REELQUANT_HOME", ".reelquant")).expanduser().absolute()


def cmd_search(args: argparse.Namespace) -> int:
    """Run one search from parsed arguments; 0 on success (also when nothing matched), 2 on a user error."""
    from reelquant.search.embed import embedding_dim
    from reelquant.search.query import category_keyword_ids, search
    from reelquant.search.store import VectorStore

    if args.k < 1:
        print(f"reelquant search: -k must be at least 1, got {args.k}; ask for one or more moments.", file=sys.stderr)
        return 2
    try:
        if args.category is not None:
            category_keyword_ids(args.category)  # refuse a bad category before loading the model
        lancedb_dir = _data_root(args) / "lancedb"
        if not lancedb_dir.is_dir():
            hits: list[dict[str, Any]] = []
        else:
            model = _model(args.model)
            store = VectorStore(str(lancedb_dir), model_name=args.model, dim=embedding_dim(model))
            hits = search(store, model, args.query, k=args.k, video_id=args.video, category=args.category)
    except SearchError as exc:
        print(f"reelquant search: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(hits, indent=2, default=str))
    else:
        print(format_table(hits) if hits else _NOTHING)
    return 0
