"""The coverage report as one self-contained HTML page an analyst can open or mail.

No script, no CDN, no external file: styles are inline and the charts are embedded
as base64 PNG ``data:`` images (drawn in a CJK font, see :mod:`assist.batch.report`).
Every text is redacted and HTML-escaped; the figures and tables are those of
``report.md``.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from typing import Any

from assist.batch.evaluate import OUT_OF_SCOPE
from assist.batch.gaps import GapCluster, GapReport
from assist.batch.report import (
    ABSTAINED,
    CONFUSION_CHART,
    COVERAGE_CHART,
    HISTOGRAM_CHART,
    NEW_TOPIC,
    _fmt,
    _number,
    _rate,
    cluster_title,
    gaps_intro,
    volume_rows,
    warnings,
)
from assist.text.redact import redact

HTML_FILE = "report.html"

_STYLE = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;margin:2rem auto;
max-width:1100px;color:#222;line-height:1.45;padding:0 1rem}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #3b78b0;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:left}th{background:#f1f5f9}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{background:#f1f5f9;border-radius:6px;padding:.6rem 1rem}
.card b{display:block;font-size:1.4rem}.warn{background:#fff4e5;border-left:4px solid #d9a33a;padding:.5rem 1rem}
img{max-width:100%;border:1px solid #eee}.cluster{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;
margin:.6rem 0}.terms{color:#3b78b0;font-weight:bold}.muted{color:#666;font-size:.9rem}
"""


def esc(value: object) -> str:
    """Redacted and HTML-escaped text."""
    return html.escape(" ".join(redact(str(value)).split()))


def _img(charts: Mapping[str, bytes], name: str, alt: str) -> str:
    if name not in charts:
        return ""
    data = base64.b64encode(charts[name]).decode("ascii")
    return f'<p><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></p>'


def _table(header: tuple[str, ...], rows: list[tuple[object, ...]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{esc(c)}</td>' if i in numeric else f"<td>{esc(c)}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(
    summary: Mapping[str, Any], gaps: GapReport | None, charts: Mapping[str, bytes], *, top: int = 20
) -> str:
    total = int(_number(summary, "utterances"))
    abstained = int(_number(summary, "abstained"))
    cards = [
        ("utterances", f"{total:,}"), ("coverage", _rate(summary, "coverage")),
        ("abstained", f"{abstained:,}"), ("top-1 accuracy", _rate(summary, "top1")),
        ("top-3 accuracy", _rate(summary, "top3")), ("quick pass alone", _rate(summary, "answered_by_quick_pass")),
    ]
    parts = [
        "<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        f"<title>Coverage report</title><style>{_STYLE}</style></head><body>",
        "<h1>Coverage report</h1>",
        f'<p class="muted">Abstention threshold {_number(summary, "threshold"):.3f}; '
        f'{int(_number(summary, "pinned")):,} pinned by a rule. Customer text is redacted by shape.</p>',
        '<div class="cards">' + "".join(f'<div class="card">{esc(k)}<b>{esc(v)}</b></div>' for k, v in cards)
        + "</div>",
    ]
    parts += [f'<p class="warn">{esc(note)}</p>' for note in warnings(summary)]
    parts.append(volume_html(summary, charts, top))
    if _number(summary, "labelled_in_scope") > 0:
        parts.append(accuracy_html(summary, charts))
    parts.append("<h2>Score distribution</h2>" + _img(charts, HISTOGRAM_CHART, "score histogram"))
    if gaps is not None:
        parts.append(gaps_html(gaps))
    parts.append("</body></html>")
    return "\n".join(parts)


def volume_html(summary: Mapping[str, Any], charts: Mapping[str, bytes], top: int) -> str:
    rows: list[tuple[object, ...]] = [(s, f"{n:,}", share) for s, n, share in volume_rows(summary, top)]
    return (f"<h2>Volume per scenario (top {top} by volume, and the least accurate)</h2>"
            + _table(("scenario", "utterances", "share"), rows, {1, 2})
            + _img(charts, COVERAGE_CHART, "volume per scenario"))


def accuracy_html(summary: Mapping[str, Any], charts: Mapping[str, bytes]) -> str:
    metrics: list[tuple[object, ...]] = [
        ("labelled in scope", f"{int(_number(summary, 'labelled_in_scope')):,}"),
        ("top-1 accuracy", _rate(summary, "top1")), ("top-3 accuracy", _rate(summary, "top3")),
        ("answered and correct", _rate(summary, "answered_and_correct")),
        ("out_of_scope precision", _rate(summary, "out_of_scope_precision", ".3f")),
        ("out_of_scope recall", _rate(summary, "out_of_scope_recall", ".3f")),
        ("out_of_scope F1", _rate(summary, "out_of_scope_f1", ".3f")),
    ]
    scores = summary.get("per_scenario") or {}
    rows: list[tuple[object, ...]] = []
    for scenario, row in sorted(scores.items(), key=lambda r: (-(r[1].get("support") or 0), r[0])):
        if scenario == OUT_OF_SCOPE and not row.get("support"):
            continue
        rows.append((ABSTAINED if scenario == OUT_OF_SCOPE else scenario, _fmt(row.get("precision")),
                     _fmt(row.get("recall")), _fmt(row.get("f1")), int(row.get("support") or 0),
                     int(row.get("predicted") or 0)))
    return ("<h2>Accuracy (labelled lines)</h2>" + _table(("metric", "value"), metrics, {1})
            + "<h3>Precision, recall and F1 per scenario</h3>"
            + '<p class="muted">Of the scenario answered (an abstention answers out_of_scope).</p>'
            + _table(("scenario", "precision", "recall", "F1", "labelled", "answered"), rows, {1, 2, 3, 4, 5})
            + "<h3>Confusion matrix</h3>" + _img(charts, CONFUSION_CHART, "confusion matrix"))


def gaps_html(gaps: GapReport) -> str:
    parts = ["<h2>Coverage gaps</h2>", f"<p>{esc(gaps_intro(gaps))}</p>",
             "<h3>New topics (no scenario covers them)</h3>"]
    parts += [cluster_html(c) for c in gaps.new_topics] or ["<p>None.</p>"]
    parts.append("<h3>Scenarios that need more examples</h3>")
    parts += [cluster_html(c) for c in gaps.needs_examples] or ["<p>None.</p>"]
    return "\n".join(parts)


def cluster_html(cluster: GapCluster) -> str:
    nearest = (f"; nearest scenario {esc(cluster.scenario)}"
               if cluster.kind == NEW_TOPIC and cluster.scenario else "")
    items = "".join(f"<li>{esc(t)}</li>" for t in cluster.representatives)
    return (
        f'<div class="cluster"><b>{cluster.rank}. {esc(cluster_title(cluster))}</b>'
        f'<div class="muted">about {cluster.estimated_volume:g} utterances ({cluster.share:.1%} of input; '
        f"{cluster.size} in the sample; {cluster.answered_share:.0%} answered with low confidence){nearest}</div>"
        f'<div class="terms">{esc(", ".join(cluster.top_terms) or "-")}</div><ul>{items}</ul></div>'
    )




INSPECTION_HTML = "inspection.html"


def render_inspection_html(summary: Mapping[str, Any]) -> str:
    """The inspection of call transcripts as one self-contained, redacted page."""
    overall = summary.get("overall") or {}

    def rate(value: object, spec: str = ".1%") -> str:
        return format(float(value), spec) if isinstance(value, int | float) else "n/a"

    cards = [("calls", f"{summary.get('calls', 0):,}"), ("customer turns covered", rate(summary.get("coverage"))),
             ("findings per 100 calls", rate(overall.get("findings_per_100_calls"), ".1f")),
             ("block findings per 100 calls", rate(overall.get("block_findings_per_100_calls"), ".1f")),
             ("script adherence", rate(overall.get("adherence_rate")))]

    def group_table(groups: Mapping[str, Mapping[str, Any]]) -> str:
        rows: list[tuple[object, ...]] = [
            (name, g["calls"], rate(g["findings_per_100_calls"], ".1f"), rate(g["block_findings_per_100_calls"], ".1f"),
             rate(g["adherence_rate"]), g["opportunities"])
            for name, g in sorted(groups.items(), key=lambda r: (-(r[1]["findings_per_100_calls"] or 0), r[0]))
        ]
        return _table(("name", "calls", "findings / 100 calls", "block / 100 calls", "adherence", "opportunities"),
                      rows, {1, 2, 3, 4, 5})

    listen: list[tuple[object, ...]] = [
        (r["call_id"], r["agent"], r["team"], r["block_findings"], r["findings"], r["missed_scripts"],
         ", ".join(r["rules"])) for r in summary.get("listen_first", [])
    ]
    rules: list[tuple[object, ...]] = list((summary.get("findings_by_rule") or {}).items())
    return "\n".join([
        "<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\">",
        f"<title>Call inspection</title><style>{_STYLE}</style></head><body><h1>Call inspection</h1>",
        f'<p class="muted">{summary.get("turns", 0):,} turns. Adherence: the agent\'s next turn carries the '
        f"suggested reply (similarity at least {float(summary.get('adherence_threshold', 0)):.3f}). "
        "Customer text is redacted by shape.</p>",
        '<div class="cards">' + "".join(f'<div class="card">{esc(k)}<b>{esc(v)}</b></div>' for k, v in cards)
        + "</div>",
        "<h2>Calls to listen to first</h2>",
        _table(("call", "agent", "team", "block findings", "findings", "missed scripts", "rules"), listen, {3, 4, 5}),
        "<h2>Teams</h2>", group_table(summary.get("teams") or {}),
        "<h2>Agents</h2>", group_table(summary.get("agents") or {}),
        "<h2>Findings by rule</h2>", _table(("rule", "findings"), rules, {1}),
        "</body></html>",
    ])
