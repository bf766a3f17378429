"""Fixtures for search tests: the real bundled MiniLM model (loaded once) and a handful of embedded lesson segments."""

from __future__ import annotations

import socket

import pytest

from reelquant.search.embed import embed_texts, load_embedder

# One short passage per lesson, as a speaker would say it; times are where it was said.
LESSON_SEGMENTS = {
    "rsi_reversion": [
        (0.0, 6.1, "In this lesson I show you how I use the relative strength index for mean reversion."),
        (6.1, 12.4, "When the RSI drops below thirty the market is oversold, and that is where I buy."),
        (12.4, 19.8, "I always place a stop loss two percent below my entry when I trade the RSI setup."),
    ],
    "golden_cross": [
        (0.0, 7.5, "When the fifty day moving average crosses above the two hundred day average, we buy."),
        (7.5, 13.0, "When it crosses back below, the death cross, we sell and go to cash."),
    ],
    "macd_trend": [
        (0.0, 8.0, "Go long when the MACD line crosses above its signal line on the daily chart."),
    ],
    "bollinger_bounce": [
        (0.0, 9.2, "Buy when price closes below the lower Bollinger band and sell at the middle band."),
    ],
    "trading_psychology": [
        (0.0, 8.4, "Fear and greed drive most mistakes, so keep a journal of every emotional decision."),
    ],
}


class NetworkBlocked(RuntimeError):
    pass


def _refuse(*args: object, **kwargs: object) -> None:
    raise NetworkBlocked("a network connection was attempted")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any outgoing connection fail loudly, so an offline claim is checked rather than assumed."""
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket, "create_connection", _refuse)


@pytest.fixture(scope="session")
def embedder():
    return load_embedder("all-MiniLM-L6-v2")


@pytest.fixture(scope="session")
def lesson_rows(embedder) -> dict[str, list[dict]]:
    """Store-ready rows for every lesson, embedded by the real model."""
    flat = [(vid, i, seg) for vid, segs in LESSON_SEGMENTS.items() for i, seg in enumerate(segs)]
    vectors = embed_texts(embedder, [seg[2] for _, _, seg in flat])
    rows: dict[str, list[dict]] = {vid: [] for vid in LESSON_SEGMENTS}
    for (vid, i, (start, end, text)), vec in zip(flat, vectors, strict=True):
        rows[vid].append({
            "video_id": vid, "segment_id": i, "start_s": start, "end_s": end, "text": text,
            "keywords": ["rsi"] if "RSI" in text else [], "clip_path": "", "vector": vec,
        })
    return rows
