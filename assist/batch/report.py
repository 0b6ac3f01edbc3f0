"""Coverage reports from a batch evaluation: Markdown, PNG charts, JSON and terminal tables.

Inputs are ``EvaluationReport.summary()`` (see :mod:`assist.batch.evaluate`) and,
optionally, a :class:`assist.batch.gaps.GapReport`. Every text that is shown or
written passes through :func:`assist.text.redact.redact`, and files are written
atomically. Charts are drawn with matplotlib's Agg canvas (no display, no
pyplot global state) and use ASCII labels only, so no CJK font is needed.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from rich.table import Table
from rich.text import Text

from assist.atomic_write import SHARED_FILE_MODE, write_atomic
from assist.batch.evaluate import OUT_OF_SCOPE
from assist.batch.gaps import GapReport
from assist.text.redact import redact

REPORT_FILE = "report.md"
COVERAGE_CHART = "coverage_per_scenario.png"
HISTOGRAM_CHART = "score_histogram.png"
ABSTAINED = "(abstained)"
DPI = 110

ANSWERED_COLOUR = "#3b78b0"
ABSTAINED_COLOUR = "#9a9a9a"
BELOW_COLOUR = "#d08a4a"
GOOD, FAIR, POOR = "#4a9a5b", "#d9a33a", "#c8553d"


# ----- reading the summary ---------------------------------------------------------


def _number(summary: Mapping[str, Any], key: str) -> float:
    value = summary.get(key, 0)
    return float(value) if isinstance(value, int | float) else 0.0


def _counts(summary: Mapping[str, Any], key: str) -> dict[str, float]:
    value = summary.get(key) or {}
    return {str(k): float(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


def _histogram(summary: Mapping[str, Any]) -> list[int]:
    value = summary.get("score_histogram") or []
    return [int(v) for v in value] if isinstance(value, Sequence) else []


def _confusions(summary: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    rows = summary.get("top_confusions") or []
    return [(str(r["label"]), str(r["predicted"]), int(r["count"])) for r in rows if isinstance(r, Mapping)]


def is_labelled(summary: Mapping[str, Any]) -> bool:
    return _number(summary, "labelled_in_scope") > 0


def scenario_rows(summary: Mapping[str, Any], top: int) -> list[str]:
    """Scenarios for the per-scenario chart: the ``top`` by answered volume and, when
    labelled, the ``top`` least accurate (a scenario the library misses has little
    volume but must show); ordered by volume, then accuracy."""
    volume = _counts(summary, "volume")
    accuracy = _counts(summary, "per_scenario_accuracy")
    by_volume = sorted((s for s in volume if s != OUT_OF_SCOPE), key=lambda s: (-volume[s], s))
    weakest = sorted(accuracy, key=lambda s: (accuracy[s], s))
    chosen = set(by_volume[: max(1, top)]) | set(weakest[: max(1, top)])
    return sorted(chosen, key=lambda s: (-volume.get(s, 0.0), accuracy.get(s, 1.0), s))


def ascii_label(text: str) -> str:
    """Chart labels stay ASCII (scenario ids are); anything else is escaped, never dropped."""
    text = redact(text)
    return text if text.isascii() else text.encode("ascii", "backslashreplace").decode("ascii")


# ----- files -----------------------------------------------------------------------


def write_report(
    summary: Mapping[str, Any], gaps: GapReport | None, folder: Path, *, top: int = 20
) -> list[Path]:
    """Write ``report.md`` and the two PNG charts into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    charts = {
        COVERAGE_CHART: coverage_chart(summary, top),
        HISTOGRAM_CHART: histogram_chart(summary),
    }
    written = []
    markdown = redact(render_markdown(summary, gaps, top=top))
    write_atomic(folder / REPORT_FILE, markdown.encode("utf-8"), mode=SHARED_FILE_MODE)
    written.append(folder / REPORT_FILE)
    for name, png in charts.items():
        write_atomic(folder / name, png, mode=SHARED_FILE_MODE)
        written.append(folder / name)
    return written


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def coverage_chart(summary: Mapping[str, Any], top: int) -> bytes:
    """Answered volume per scenario (plus abstentions); accuracy beside it when labelled.

    When the summary carries ``abstained_by_scenario`` (the nearest scenario of
    each abstention), each bar is split into answered and abstained; otherwise
    all abstentions share one grey bar.
    """
    rows = scenario_rows(summary, top)
    volume = _counts(summary, "volume")
    held_back = _counts(summary, "abstained_by_scenario")
    labelled = is_labelled(summary)
    answered = [volume.get(s, 0.0) for s in rows]
    abstained = [held_back.get(s, 0.0) for s in rows]
    labels = [ascii_label(s) for s in rows]
    if not held_back:
        labels.append(ABSTAINED)
        answered.append(0.0)
        abstained.append(volume.get(OUT_OF_SCOPE, 0.0))
    height = max(3.0, 0.3 * len(labels) + 1.4)
    figure = Figure(figsize=(11 if labelled else 8, height))
    grid = figure.add_gridspec(1, 2, width_ratios=(3, 2)) if labelled else figure.add_gridspec(1, 1)
    axis = figure.add_subplot(grid[0, 0])
    positions = list(range(len(labels)))
    axis.barh(positions, answered, color=ANSWERED_COLOUR, label="answered")
    axis.barh(positions, abstained, left=answered, color=ABSTAINED_COLOUR, label="abstained")
    for position, total in enumerate(a + b for a, b in zip(answered, abstained, strict=True)):
        axis.text(total, position, f" {total:g}", va="center", fontsize=7)
    axis.set_yticks(positions, labels, fontsize=8)
    axis.invert_yaxis()
    axis.set_xlim(0, max([*answered, *(a + b for a, b in zip(answered, abstained, strict=True)), 1]) * 1.12)
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_xlabel("utterances")
    axis.legend(loc="best", fontsize=8)
    axis.grid(axis="x", alpha=0.3)
    coverage = _number(summary, "coverage")
    axis.set_title(f"Volume per scenario (coverage {coverage:.1%})", fontsize=10)
    if labelled:
        accuracy_panel(figure.add_subplot(grid[0, 1], sharey=axis), rows, len(labels), summary)
    figure.tight_layout()
    return _png(figure)


def accuracy_panel(axis: Any, rows: Sequence[str], slots: int, summary: Mapping[str, Any]) -> None:
    """Top-1 accuracy beside the volume bars; ``slots`` counts the volume chart's rows."""
    accuracy = _counts(summary, "per_scenario_accuracy")
    names = [*rows, *[""] * (slots - len(rows))]
    values = [accuracy.get(s, 0.0) for s in names]
    colours = [GOOD if v >= 0.8 else FAIR if v >= 0.5 else POOR for v in values]
    bars = axis.barh(range(len(values)), values, color=colours)
    for bar, scenario in zip(bars, names, strict=True):
        if scenario in accuracy:
            axis.text(bar.get_width() + 0.01, bar.get_y() + bar.get_height() / 2,
                      f"{accuracy[scenario]:.0%}", va="center", fontsize=7)
        elif scenario:
            axis.text(0.01, bar.get_y() + bar.get_height() / 2, "no labelled lines", va="center",
                      fontsize=7, color=ABSTAINED_COLOUR)
    axis.set_xlim(0, 1.12)
    axis.set_xlabel("top-1 accuracy (labelled)")
    axis.tick_params(axis="y", labelleft=False)
    axis.grid(axis="x", alpha=0.3)
    axis.set_title(f"Accuracy per scenario (overall top-1 {_number(summary, 'top1'):.1%})", fontsize=10)


def histogram_chart(summary: Mapping[str, Any]) -> bytes:
    """Best-candidate scores in 20 buckets over 0..1, with the abstention threshold."""
    counts = _histogram(summary) or [0] * 20
    width = 1.0 / len(counts)
    threshold = _number(summary, "threshold")
    figure = Figure(figsize=(8, 3.6))
    axis = figure.add_subplot(1, 1, 1)
    lefts = [i * width for i in range(len(counts))]
    colours = [BELOW_COLOUR if left + width <= threshold else ANSWERED_COLOUR for left in lefts]
    axis.bar(lefts, counts, width=width, align="edge", color=colours, edgecolor="white")
    axis.axvline(threshold, color="black", linestyle="--", linewidth=1)
    axis.text(threshold, max(counts or [0]) * 0.95 or 1, f" threshold {threshold:.2f}", fontsize=8, va="top")
    axis.set_xlim(0, 1)
    axis.set_xlabel("best candidate score")
    axis.set_ylabel("utterances")
    total = int(sum(counts))
    axis.set_title(f"Score distribution ({total} utterances)", fontsize=10)
    axis.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    return _png(figure)


# ----- Markdown --------------------------------------------------------------------

_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*<>|"})


def md(text: object) -> str:
    """Redacted, one-line, Markdown-escaped text.

    Brackets stay as they are so placeholders read ``[CARD]``; a link or image
    can then only start at ``](``, which is broken up instead.
    """
    return " ".join(redact(str(text)).split()).translate(_MD_SPECIAL).replace("](", "]\\(")


def render_markdown(summary: Mapping[str, Any], gaps: GapReport | None, *, top: int = 20) -> str:
    parts = [
        "# Coverage report",
        coverage_section(summary),
        volume_section(summary, top),
    ]
    if is_labelled(summary):
        parts.append(accuracy_section(summary, top))
    parts.append(histogram_section(summary))
    if gaps is not None:
        parts.append(gaps_section(gaps))
    return "\n\n".join(parts) + "\n"


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(md(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def coverage_section(summary: Mapping[str, Any]) -> str:
    total = int(_number(summary, "utterances"))
    abstained = int(_number(summary, "abstained"))
    rows = [
        ("utterances", total),
        ("answered", total - abstained),
        ("abstained", abstained),
        ("coverage", f"{_number(summary, 'coverage'):.1%}"),
        ("pinned by a rule", int(_number(summary, "pinned"))),
        ("ranked by the quick pass alone", f"{_number(summary, 'answered_by_quick_pass'):.1%}"),
        ("abstention threshold", f"{_number(summary, 'threshold'):.3f}"),
    ]
    return "## Coverage\n\n" + _table(("metric", "value"), rows)


def volume_section(summary: Mapping[str, Any], top: int) -> str:
    volume = _counts(summary, "volume")
    total = sum(volume.values()) or 1.0
    answered = sorted(((s, n) for s, n in volume.items() if s != OUT_OF_SCOPE), key=lambda r: (-r[1], r[0]))
    rows: list[tuple[object, ...]] = [(s, int(n), f"{n / total:.1%}") for s, n in answered[:top]]
    hidden = answered[top:]
    if hidden:
        rest = sum(n for _, n in hidden)
        rows.append((f"{len(hidden)} more scenarios", int(rest), f"{rest / total:.1%}"))
    rows.append((ABSTAINED, int(volume.get(OUT_OF_SCOPE, 0)), f"{volume.get(OUT_OF_SCOPE, 0) / total:.1%}"))
    return (
        f"## Volume per scenario (top {top})\n\n"
        + _table(("scenario", "utterances", "share"), rows)
        + f"\n\n![volume per scenario]({COVERAGE_CHART})"
    )


def accuracy_section(summary: Mapping[str, Any], top: int) -> str:
    metrics = [
        ("labelled in scope", int(_number(summary, "labelled_in_scope"))),
        ("top-1 accuracy", f"{_number(summary, 'top1'):.1%}"),
        ("top-3 accuracy", f"{_number(summary, 'top3'):.1%}"),
        ("answered and correct", f"{_number(summary, 'answered_and_correct'):.1%}"),
        ("out_of_scope precision", f"{_number(summary, 'out_of_scope_precision'):.3f}"),
        ("out_of_scope recall", f"{_number(summary, 'out_of_scope_recall'):.3f}"),
        ("out_of_scope F1", f"{_number(summary, 'out_of_scope_f1'):.3f}"),
    ]
    accuracy = _counts(summary, "per_scenario_accuracy")
    weakest = sorted(accuracy.items(), key=lambda r: (r[1], r[0]))[:top]
    parts = [
        "## Accuracy (labelled lines)",
        _table(("metric", "value"), metrics),
        f"### Lowest per-scenario accuracy (top {top})",
        _table(("scenario", "top-1 accuracy"), [(s, f"{a:.0%}") for s, a in weakest]),
    ]
    confusions = _confusions(summary)
    if confusions:
        parts += ["### Most confused pairs", _table(("label", "predicted", "count"), confusions)]
    return "\n\n".join(parts)


def histogram_section(summary: Mapping[str, Any]) -> str:
    counts = _histogram(summary)
    total = sum(counts) or 1
    width = 1.0 / len(counts) if counts else 0.05
    threshold = _number(summary, "threshold")
    below = sum(n for i, n in enumerate(counts) if (i + 1) * width <= threshold)
    rows = [
        (f"{i * width:.2f}-{(i + 1) * width:.2f}", n, f"{n / total:.1%}")
        for i, n in enumerate(counts) if n
    ]
    return (
        "## Score distribution\n\n"
        f"Best-candidate scores; {below / total:.1%} of utterances fall in buckets wholly below "
        f"the threshold {threshold:.2f}.\n\n"
        + _table(("score", "utterances", "share"), rows)
        + f"\n\n![score histogram]({HISTOGRAM_CHART})"
    )


def gaps_section(gaps: GapReport) -> str:
    intro = (
        f"{gaps.gap_utterances} of {gaps.total_utterances} utterances were abstained on or scored "
        f"below {gaps.low_confidence:.2f}; {gaps.sampled} were sampled and clustered, "
        f"{gaps.unclustered} of them are scattered one-offs in no cluster."
    )
    parts = ["## Coverage gaps", intro]
    if not gaps.clusters:
        parts.append("No recurring gap was found.")
    for cluster in gaps.clusters:
        lines = [
            f"### {cluster.rank}. {md(cluster.suggested_id)}",
            f"About {cluster.estimated_volume:g} utterances ({cluster.share:.1%} of input; "
            f"{cluster.size} in the sample).",
            f"Salient terms: {md(', '.join(cluster.top_terms)) or '-'}",
        ]
        if cluster.label_counts:
            labels = ", ".join(f"{label} {count}" for label, count in list(cluster.label_counts.items())[:3])
            lines.append(f"Labels: {md(labels)}")
        lines.append("\n".join(f"- {md(text)}" for text in cluster.representatives))
        parts.append("\n\n".join(lines))
    return "\n\n".join(parts)


# ----- JSON and terminal -----------------------------------------------------------


def gaps_to_dict(report: GapReport) -> dict[str, Any]:
    """A JSON-ready view of a gap report (for ``--json``); texts are redacted."""
    return {
        "total_utterances": report.total_utterances,
        "gap_utterances": report.gap_utterances,
        "sampled": report.sampled,
        "unclustered": report.unclustered,
        "low_confidence": report.low_confidence,
        "threshold": report.threshold,
        "clusters": [
            {
                "rank": c.rank,
                "suggested_id": c.suggested_id,
                "size": c.size,
                "estimated_volume": c.estimated_volume,
                "share": c.share,
                "top_terms": [redact(t) for t in c.top_terms],
                "representatives": [redact(t) for t in c.representatives],
                "majority_label": c.majority_label,
                "label_counts": c.label_counts,
            }
            for c in report.clusters
        ],
    }


def _one_line(text: str) -> str:
    return " ".join(redact(text).split())


def render_gaps_table(report: GapReport) -> Table:
    """Gap clusters for the terminal, largest first.

    Terms and the first representative share one column (terms above), so the
    table stays readable in an 80-column terminal. User text goes in as
    :class:`rich.text.Text`, never as markup.
    """
    labelled = any(c.label_counts for c in report.clusters)
    table = Table(
        title=(f"coverage gaps: {report.gap_utterances} of {report.total_utterances} utterances "
               f"below {report.low_confidence:.2f}"),
        box=None,
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("volume", justify="right", no_wrap=True)
    table.add_column("suggested id", no_wrap=True)
    if labelled:
        table.add_column("majority label", no_wrap=True, overflow="ellipsis", max_width=20)
    table.add_column("terms / representative", overflow="fold", min_width=16)
    for c in report.clusters:
        row: list[str | Text] = [str(c.rank), f"{c.estimated_volume:g} ({c.share:.1%})", c.suggested_id]
        if labelled:
            row.append(Text(c.majority_label or ""))
        cell = Text(", ".join(redact(t) for t in c.top_terms) or "-", style="bold")
        if c.representatives:
            cell.append("\n" + _one_line(c.representatives[0]), style="dim")
        row.append(cell)
        table.add_row(*row)
    return table


def render_volume_table(summary: Mapping[str, Any], top: int = 20) -> Table:
    """Answered volume per scenario, top ``top``, then the abstentions."""
    volume = _counts(summary, "volume")
    total = sum(volume.values()) or 1.0
    table = Table("scenario", "utterances", "share", box=None, title=f"volume per scenario (top {top})")
    answered = sorted(((s, n) for s, n in volume.items() if s != OUT_OF_SCOPE), key=lambda r: (-r[1], r[0]))
    for scenario, count in answered[:top]:
        table.add_row(Text(redact(scenario)), str(int(count)), f"{count / total:.1%}")
    abstained = volume.get(OUT_OF_SCOPE, 0.0)
    table.add_row(ABSTAINED, str(int(abstained)), f"{abstained / total:.1%}", style="dim")
    return table
