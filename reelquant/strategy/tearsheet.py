"""HTML pages a trader reads: one lesson's tear sheet (every setup, every market) and the leaderboard.

Both are single self-contained files (plots embedded), written next to the record they show.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from reelquant.strategy.record import upgrade_record

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}h3{font-size:1em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;
vertical-align:top}th{background:#f4f4f4}.ok{color:#070;font-weight:600}.no{color:#a00;font-weight:600}
.muted{color:#777}code{background:#f6f6f6;padding:1px 3px}img{max-width:100%}
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _num(value: Any, fmt: str = ".2f") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return format(float(value), fmt)


def _png(path: str | None) -> str:
    if not path or not Path(path).is_file():
        return ""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="equity and drawdown" src="data:image/png;base64,{data}">'


def _page(title: str, body: list[str]) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{_e(title)}</title>"
            f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>")


def _verdict(promoted: bool) -> str:
    return '<span class="ok">PROMOTED</span>' if promoted else '<span class="no">rejected</span>'


def _market_rows(markets: Mapping[str, Mapping[str, Any]]) -> list[str]:
    rows = ["<table><tr><th>market</th><th>decision</th><th>OOS Sharpe</th><th>OOS return</th>"
            "<th>OOS max DD</th><th>OOS trades</th><th>IS Sharpe</th><th>why</th></tr>"]
    for name, m in markets.items():
        if not m.get("ran"):
            rows.append(f"<tr><td>{_e(name)}</td><td class='muted'>skipped</td><td colspan=5></td>"
                        f"<td>{_e(m.get('reason', ''))}</td></tr>")
            continue
        oos, ins = m.get("oos") or {}, m.get("in_sample") or {}
        why = "<br>".join(_e(r) for r in m.get("reasons", []))
        rows.append(f"<tr><td>{_e(name)}</td><td>{_verdict(bool(m.get('promoted')))}</td>"
                    f"<td>{_num(oos.get('sharpe'))}</td><td>{_num(oos.get('total_return'), '.1%')}</td>"
                    f"<td>{_num(oos.get('max_drawdown'), '.1%')}</td><td>{int(oos.get('trades', 0) or 0)}</td>"
                    f"<td>{_num(ins.get('sharpe'))}</td><td>{why}</td></tr>")
    rows.append("</table>")
    return rows


def _evidence_rows(evidence: list[Mapping[str, Any]]) -> list[str]:
    if not evidence:
        return ["<p class='muted'>No quotes.</p>"]
    rows = ["<table><tr><th>part</th><th>said at (s)</th><th>words</th><th>clip</th></tr>"]
    for e in evidence:
        clip = Path(e["clip"]).name if e.get("clip") else "-"
        rows.append(f"<tr><td><code>{_e(e.get('part', ''))}</code></td>"
                    f"<td>{_num(e.get('start_s'), '.1f')}–{_num(e.get('end_s'), '.1f')}</td>"
                    f"<td>{_e(e.get('text', ''))}</td><td>{_e(clip)}</td></tr>")
    rows.append("</table>")
    return rows


def _language(rec: Mapping[str, Any]) -> str:
    language = str(rec.get("language") or "en")
    return f"{language} (rules read from its English translation)" if rec.get("translated") else language


def tear_sheet_html(record: Mapping[str, Any]) -> str:
    """The lesson's tear sheet: its verdict, then each setup's rules, markets, metrics, equity and quotes,
    setups ranked by their best out-of-sample Sharpe (promoted first)."""
    rec = upgrade_record(record)
    body = [f"<h1>{_e(rec.get('name', rec['video_id']))}</h1>",
            f"<p>{_verdict(bool(rec['promoted']))} &middot; {len(rec['setups'])} setup(s) &middot; "
            f"video <code>{_e(rec['video_id'])}</code> &middot; {_e(rec.get('engine') or '-')} transcript, "
            f"{_e(rec.get('words') or 0)} words &middot; spoken in {_e(_language(rec))}</p>",
            "<ul>" + "".join(f"<li>{_e(r)}</li>" for r in rec["reasons"][:1]) + "</ul>"]

    def best(setup: Mapping[str, Any]) -> tuple[bool, float]:
        sharpes = [float((m.get("oos") or {}).get("sharpe", -math.inf)) for m in setup["markets"].values()
                   if m.get("ran")]
        return bool(setup["promoted"]), max(sharpes, default=-math.inf)

    for setup in sorted(rec["setups"], key=best, reverse=True):
        label = setup.get("label") or f"setup {int(setup['setup']) + 1}"
        body += [f"<h2>{_e(label)} &mdash; {_verdict(bool(setup['promoted']))}</h2>",
                 f"<p><code>{_e(setup.get('summary', ''))}</code></p>"]
        spec = setup.get("spec") or {}
        if spec.get("assumptions"):
            body.append("<p class='muted'>Assumed: " + "; ".join(_e(a) for a in spec["assumptions"]) + "</p>")
        if setup["markets"]:
            body += _market_rows(setup["markets"])
            body += [_png(m.get("equity_png")) for m in setup["markets"].values() if m.get("ran")]
        else:
            body.append("<ul>" + "".join(f"<li>{_e(r)}</li>" for r in setup.get("reasons", [])) + "</ul>")
        body.append("<h3>Where the lesson says it</h3>")
        body += _evidence_rows(setup.get("evidence") or [])
    return _page(str(rec.get("name", rec["video_id"])), body)


def leaderboard_html(board: pd.DataFrame) -> str:
    """The leaderboard page: every setup of every video on every market it ran on, in rank order."""
    header = "".join(f"<th>{_e(c)}</th>" for c in board.columns)
    rows = []
    for row in board.itertuples(index=False):
        cells = []
        for col, value in zip(board.columns, row, strict=True):
            if col == "promoted":
                cells.append(f"<td>{_verdict(bool(value))}</td>")
            elif col in ("oos_return", "oos_max_drawdown"):
                cells.append(f"<td>{_num(value, '.1%')}</td>")
            elif col == "oos_sharpe":
                cells.append(f"<td>{_num(value)}</td>")
            else:
                cells.append(f"<td>{_e(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    promoted = int(board["promoted"].sum()) if len(board) else 0
    body = ["<h1>reelquant leaderboard</h1>",
            f"<p>{len(board)} setup-market rows from {board['video_id'].nunique() if len(board) else 0} videos; "
            f"{promoted} promoted.</p>", f"<table><tr>{header}</tr>{''.join(rows)}</table>"]
    return _page("reelquant leaderboard", body)
