"""Coverage reports from a batch evaluation: Markdown, HTML, PNG charts, JSON and terminal tables.

Inputs are ``EvaluationReport.summary()`` (see :mod:`assist.batch.evaluate`) and,
optionally, a :class:`assist.batch.gaps.GapReport`. Every text that is shown or
written passes through :func:`assist.text.redact.redact`, and files are written
atomically. Charts are drawn with matplotlib's Agg canvas (no display, no
pyplot global state) in a CJK font (Noto Sans CJK, installed by ``make setup``
as Debian's ``fonts-noto-cjk``), so Chinese scenario names and labels read as
Chinese. A rate with nothing to divide by (no labelled lines) is shown as n/a.
The volume chart shows exactly the volume table's figures.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.table import Table
from rich.text import Text

from assist.batch.evaluate import OUT_OF_SCOPE
from assist.batch.gaps import NEEDS_EXAMPLES, NEW_TOPIC, GapCluster, GapReport
from assist.text.redact import redact

if TYPE_CHECKING:
    from matplotlib.figure import Figure

REPORT_FILE = "report.md"
COVERAGE_CHART = "coverage_per_scenario.png"
HISTOGRAM_CHART = "score_histogram.png"
CONFUSION_CHART = "confusion_matrix.png"
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


def _rate(summary: Mapping[str, Any], key: str, spec: str = ".1%") -> str:
    """A rate formatted, or ``n/a`` when the summary has none (no labelled lines)."""
    value = summary.get(key)
    return format(float(value), spec) if isinstance(value, int | float) else "n/a"


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


def chart_label(text: str) -> str:
    """A redacted label for a chart (drawn in the CJK font, so Chinese stays Chinese)."""
    return " ".join(redact(text).split())


CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Serif CJK SC", "WenQuanYi Zen Hei",
             "Source Han Sans SC", "DejaVu Sans")
"""Font families tried in order, per glyph (matplotlib falls back along the list)."""


def chart_style() -> Any:
    """A matplotlib style context with the installed CJK fonts first (no global state changed).

    Only installed families are named: matplotlib logs a "findfont: Font family … not found"
    warning for a missing one at every glyph lookup, thousands of lines on stderr per report."""
    import matplotlib

    return matplotlib.rc_context({"font.family": installed_fonts(), "axes.unicode_minus": False})


def installed_fonts() -> list[str]:
    """The families of :data:`CJK_FONTS` this machine has, in order; DejaVu Sans (matplotlib's
    own) always closes the list."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in CJK_FONTS[:-1] if name in names] + [CJK_FONTS[-1]]


def cjk_font_available() -> bool:
    return len(installed_fonts()) > 1


# ----- files -----------------------------------------------------------------------


def render_charts(summary: Mapping[str, Any], top: int) -> dict[str, bytes]:
    """Every chart of the report, by file name, as PNG bytes."""
    with chart_style():
        charts = {
            COVERAGE_CHART: coverage_chart(summary, top),
            HISTOGRAM_CHART: histogram_chart(summary),
        }
        if _matrix(summary):
            charts[CONFUSION_CHART] = confusion_chart(summary, top)
    return charts


def _figure(**options: Any) -> Figure:
    """A new figure. matplotlib is imported by the first chart, not with this module: a run
    without ``--report`` draws none and need not wait for it (~0.3 s of a 20,000-line run)."""
    from matplotlib.figure import Figure

    return Figure(**options)


def _png(figure: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def coverage_chart(summary: Mapping[str, Any], top: int) -> bytes:
    """Answered volume per scenario and one bar for all abstentions: the figures of the
    volume table, bar for row; top-1 accuracy beside it when labelled."""
    from matplotlib.ticker import MaxNLocator

    rows = scenario_rows(summary, top)
    volume = _counts(summary, "volume")
    labelled = is_labelled(summary)
    answered = [volume.get(s, 0.0) for s in rows]
    labels = [chart_label(s) for s in rows]
    labels.append(ABSTAINED)
    answered.append(0.0)
    abstained = [0.0] * len(rows) + [volume.get(OUT_OF_SCOPE, 0.0)]
    height = max(3.0, 0.3 * len(labels) + 1.4)
    figure = _figure(figsize=(11 if labelled else 8, height))
    grid = figure.add_gridspec(1, 2, width_ratios=(3, 2)) if labelled else figure.add_gridspec(1, 1)
    axis = figure.add_subplot(grid[0, 0])
    positions = list(range(len(labels)))
    axis.barh(positions, answered, color=ANSWERED_COLOUR, label="answered")
    axis.barh(positions, abstained, color=ABSTAINED_COLOUR, label="abstained")
    for position, total in enumerate(a + b for a, b in zip(answered, abstained, strict=True)):
        axis.text(total, position, f" {total:g}", va="center", fontsize=7)
    axis.set_yticks(positions, labels, fontsize=8)
    axis.invert_yaxis()
    axis.set_xlim(0, max([*answered, *abstained, 1]) * 1.12)
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_xlabel("utterances answered (abstentions in one bar)")
    axis.legend(loc="best", fontsize=8)
    axis.grid(axis="x", alpha=0.3)
    axis.set_title(f"Volume per scenario (coverage {_rate(summary, 'coverage')})", fontsize=10)
    if labelled:
        accuracy_panel(figure.add_subplot(grid[0, 1], sharey=axis), rows, len(labels), summary)
    figure.tight_layout()
    return _png(figure)


def _matrix(summary: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    rows = summary.get("confusion_matrix") or []
    return [(str(r["label"]), str(r["answered"]), int(r["count"])) for r in rows if isinstance(r, Mapping)]


def confusion_chart(summary: Mapping[str, Any], top: int) -> bytes:
    """The confusion matrix of labelled lines (rows: label, columns: answered scenario or
    abstained), for the ``top`` labels by support; shares of each row, counts written in."""
    cells = _matrix(summary)
    support: Counter[str] = Counter()
    for label, _, count in cells:
        support[label] += count
    labels = [s for s, _ in sorted(support.items(), key=lambda r: (-r[1], r[0]))[: max(2, top)]]
    columns = list(labels)
    for _, answered, _ in cells:
        if answered not in columns and answered in support and answered in labels:
            columns.append(answered)
    if OUT_OF_SCOPE not in columns:
        columns.append(OUT_OF_SCOPE)
    other = "(other)"
    columns.append(other)
    grid = np.zeros((len(labels), len(columns)))
    for label, answered, count in cells:
        if label not in labels:
            continue
        column = columns.index(answered) if answered in columns else len(columns) - 1
        grid[labels.index(label), column] += count
    shares = grid / np.maximum(grid.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.42 * len(columns) + 2.5)
    figure = _figure(figsize=(size + 1.5, max(3.5, 0.4 * len(labels) + 2.2)))
    axis = figure.add_subplot(1, 1, 1)
    image = axis.imshow(shares, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for (row, column), cell in np.ndenumerate(grid):
        if cell:
            colour = "white" if shares[row, column] > 0.6 else "black"
            axis.text(column, row, f"{int(cell)}", ha="center", va="center", fontsize=7, color=colour)
    shown = [ABSTAINED if c == OUT_OF_SCOPE else chart_label(c) for c in columns]
    axis.set_xticks(range(len(columns)), shown, rotation=60, ha="right", fontsize=7)
    axis.set_yticks(range(len(labels)), [chart_label(s) for s in labels], fontsize=7)
    axis.set_xlabel("answered")
    axis.set_ylabel("label")
    axis.set_title("Confusion matrix (labelled lines; colour: share of the row)", fontsize=10)
    figure.colorbar(image, ax=axis, fraction=0.03)
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
    axis.set_title(f"Accuracy per scenario (overall top-1 {_rate(summary, 'top1')})", fontsize=10)


def histogram_chart(summary: Mapping[str, Any]) -> bytes:
    """Best-candidate scores in 20 buckets over 0..1, with the abstention threshold."""
    counts = _histogram(summary) or [0] * 20
    width = 1.0 / len(counts)
    threshold = _number(summary, "threshold")
    figure = _figure(figsize=(8, 3.6))
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


def render_markdown(
    summary: Mapping[str, Any], gaps: GapReport | None, *, top: int = 20, charts: Sequence[str] = ()
) -> str:
    parts = [
        "# Coverage report",
        coverage_section(summary),
        volume_section(summary, top),
    ]
    if is_labelled(summary):
        parts.append(accuracy_section(summary, top))
        parts.append(scores_section(summary))
        if CONFUSION_CHART in charts:
            parts.append(f"### Confusion matrix\n\n![confusion matrix]({CONFUSION_CHART})")
    parts.append(histogram_section(summary))
    if gaps is not None:
        parts.append(gaps_section(gaps))
    return "\n\n".join(parts) + "\n"


def warnings(summary: Mapping[str, Any]) -> list[str]:
    """What the analyst must know before trusting the figures (unknown labels, skipped lines)."""
    notes = []
    unknown = _counts(summary, "unknown_labels")
    if unknown:
        listed = ", ".join(f"{label} ({int(n)})" for label, n in list(unknown.items())[:20])
        more = f" and {len(unknown) - 20} more" if len(unknown) > 20 else ""
        notes.append(f"{int(sum(unknown.values()))} labelled lines carry labels that are no scenario of the "
                     f"library and count as misses: {listed}{more}. Check --label-col, or map the labels.")
    skipped = summary.get("skipped_lines")
    if isinstance(skipped, Mapping) and skipped.get("count"):
        lines = ", ".join(str(n) for n in skipped.get("lines", [])[:50])
        more = " ..." if skipped["count"] > 50 else ""
        notes.append(f"{skipped['count']} bad input lines were skipped (--on-error skip): lines {lines}{more}.")
    if summary.get("labelled") == 0:
        notes.append("The input has no labels (check --label-col): accuracy figures are n/a.")
    return notes


def scores_section(summary: Mapping[str, Any]) -> str:
    scores = summary.get("per_scenario") or {}
    rows = []
    for scenario, row in sorted(scores.items(), key=lambda r: (-(r[1].get("support") or 0), r[0])):
        if scenario == OUT_OF_SCOPE and not row.get("support"):
            continue
        rows.append((scenario if scenario != OUT_OF_SCOPE else ABSTAINED,
                     _fmt(row.get("precision")), _fmt(row.get("recall")), _fmt(row.get("f1")),
                     int(row.get("support") or 0), int(row.get("predicted") or 0)))
    return ("### Precision, recall and F1 per scenario\n\nOf the scenario answered (an abstention "
            "answers out_of_scope), on labelled lines.\n\n"
            + _table(("scenario", "precision", "recall", "F1", "labelled", "answered"), rows))


def _fmt(value: object) -> str:
    return f"{float(value):.3f}" if isinstance(value, int | float) else "n/a"


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
        ("coverage", _rate(summary, "coverage")),
        ("pinned by a rule", int(_number(summary, "pinned"))),
        ("ranked by the quick pass alone", _rate(summary, "answered_by_quick_pass")),
        ("abstention threshold", f"{_number(summary, 'threshold'):.3f}"),
    ]
    notes = "".join(f"\n\n> **Warning:** {md(note)}" for note in warnings(summary))
    return "## Coverage\n\n" + _table(("metric", "value"), rows) + notes


def volume_rows(summary: Mapping[str, Any], top: int) -> list[tuple[str, int, str]]:
    """The volume table: the chart's scenarios (:func:`scenario_rows`), one row for the rest,
    one for the abstentions; the chart draws these very figures."""
    volume = _counts(summary, "volume")
    total = sum(volume.values()) or 1.0
    shown = scenario_rows(summary, top)
    rows = [(s, int(volume.get(s, 0.0)), f"{volume.get(s, 0.0) / total:.1%}") for s in shown]
    hidden = [n for s, n in volume.items() if s != OUT_OF_SCOPE and s not in set(shown)]
    if hidden:
        rest = sum(hidden)
        rows.append((f"{len(hidden)} more scenarios", int(rest), f"{rest / total:.1%}"))
    held = volume.get(OUT_OF_SCOPE, 0.0)
    rows.append((ABSTAINED, int(held), f"{held / total:.1%}"))
    return rows


def volume_section(summary: Mapping[str, Any], top: int) -> str:
    return (
        f"## Volume per scenario (top {top} by volume, and the least accurate)\n\n"
        + _table(("scenario", "utterances", "share"), volume_rows(summary, top))
        + f"\n\n![volume per scenario]({COVERAGE_CHART})"
    )


def accuracy_section(summary: Mapping[str, Any], top: int) -> str:
    metrics = [
        ("labelled in scope", int(_number(summary, "labelled_in_scope"))),
        ("top-1 accuracy", _rate(summary, "top1")),
        ("top-3 accuracy", _rate(summary, "top3")),
        ("answered and correct", _rate(summary, "answered_and_correct")),
        ("out_of_scope precision", _rate(summary, "out_of_scope_precision", ".3f")),
        ("out_of_scope recall", _rate(summary, "out_of_scope_recall", ".3f")),
        ("out_of_scope F1", _rate(summary, "out_of_scope_f1", ".3f")),
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


def gaps_intro(gaps: GapReport) -> str:
    total = gaps.total_utterances or 1
    return (
        f"{gaps.gap_utterances} of {gaps.total_utterances} utterances ({gaps.gap_utterances / total:.1%}) are gaps: "
        f"{gaps.abstained} abstained on ({gaps.abstained / total:.1%}) and {gaps.low_confidence_answered} "
        f"answered with a score below {gaps.low_confidence:.2f} (threshold {gaps.threshold:.2f} + margin). "
        f"{gaps.sampled} were sampled and clustered; {gaps.unclustered} of them are scattered one-offs in "
        "no cluster."
    )


def gaps_section(gaps: GapReport) -> str:
    parts = ["## Coverage gaps", gaps_intro(gaps)]
    if not gaps.clusters:
        parts.append("No recurring gap was found.")
    parts.append("### New topics (no scenario covers them)")
    parts += [_cluster_md(c) for c in gaps.new_topics] or ["None."]
    parts.append("### Scenarios that need more examples")
    parts += [_cluster_md(c) for c in gaps.needs_examples] or ["None."]
    return "\n\n".join(parts)


def cluster_title(cluster: GapCluster) -> str:
    if cluster.kind == NEEDS_EXAMPLES:
        return f"scenario {cluster.scenario} needs more examples"
    return cluster.suggested_id


def _cluster_md(cluster: GapCluster) -> str:
    lines = [
        f"#### {cluster.rank}. {md(cluster_title(cluster))}",
        f"About {cluster.estimated_volume:g} utterances ({cluster.share:.1%} of input; "
        f"{cluster.size} in the sample; {cluster.answered_share:.0%} answered with low confidence, "
        "the rest abstained on).",
        f"Salient terms: {md(', '.join(cluster.top_terms)) or '-'}",
    ]
    if cluster.kind == NEW_TOPIC and cluster.scenario:
        lines.append(f"Nearest existing scenario: {md(cluster.scenario)}")
    if cluster.label_counts:
        labels = ", ".join(f"{label} {count}" for label, count in list(cluster.label_counts.items())[:3])
        lines.append(f"Labels: {md(labels)}")
    lines.append("\n".join(f"- {md(text)}" for text in cluster.representatives))
    return "\n\n".join(lines)


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
        "abstained": report.abstained,
        "low_confidence_answered": report.low_confidence_answered,
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
                "kind": c.kind,
                "nearest_scenario": c.scenario,
                "answered_share": c.answered_share,
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
        row: list[str | Text] = [str(c.rank), f"{c.estimated_volume:g} ({c.share:.1%})", Text(cluster_title(c))]
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
