"""The ``assist`` command. Thin: it parses arguments, calls the library and renders."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from assist.errors import AssistError
from assist.parallel import PARALLEL_FROM_LINES, default_workers

os.environ.setdefault("HF_HUB_OFFLINE", "1")

app = typer.Typer(
    help="Offline agent-assist: approved empathy + solution-preview replies for bank agents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

LibraryOpt = Annotated[Path | None, typer.Option("--library", "-l", help="Script library folder (default: shipped).")]
ModelOpt = Annotated[str | None, typer.Option(
    "--model", "-m", help="Default: the static USE distillation first, full USE when it is unsure. "
    "usem3 (full USE alone), usem3-static (the distillation alone), a local sentence-transformers model "
    "folder, a packaged model name (all-minilm-l6-v2), or several joined by + (usem3+all-minilm-l6-v2: "
    "their cosines averaged)."
)]
IndexOpt = Annotated[Path | None, typer.Option("--index", help="Index folder (default: index/ or <library>/.index).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a formatted card.")]


def fail(error: AssistError) -> typer.Exit:
    err.print(f"[bold red]error:[/] {error}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(error.exit_code)


def load_assistant(
    library: Path | None, model: str | None, index: Path | None, *, auto_build: bool = True
) -> Any:
    from assist.assistant import Assistant

    return Assistant.load(
        library=library, model=model, index_dir=index, auto_build=auto_build,
        log=lambda message: err.print(message, style="dim", highlight=False),
    )


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@app.command()
def validate(library: LibraryOpt = None) -> None:
    """Check a library's scripts and rules without loading the model."""
    from assist.library import SHIPPED_LIBRARY
    from assist.validated import validate as validate_library

    try:
        validated = validate_library(library or SHIPPED_LIBRARY)
    except AssistError as error:
        raise fail(error) from None
    lib, pack, warnings = validated.library, validated.rules, validated.warnings
    examples = sum(len(s.examples) for s in lib.scripts)
    noted = sum(1 for w in warnings.values() if w)
    out.print(
        f"ok: {len(lib.scripts)} scripts, {examples} examples, {len(lib.scenarios)} scenarios, "
        f"{len(pack.rules)} rules; {noted} scripts carry warn-level notes"
    )


@app.command()
def build(
    library: LibraryOpt = None, model: ModelOpt = None, index: IndexOpt = None,
    tune_head: Annotated[bool, typer.Option(
        "--tune-head", help="Choose the head's penalty and blend by cross-validation on the library's examples "
        "(better ranking on large imported libraries; recalibrate the abstention threshold).",
    )] = False,
) -> None:
    """Embed the library and write the index atomically, with a manifest."""
    from assist.assistant import build_indexes, default_index_dir
    from assist.library import SHIPPED_LIBRARY
    from assist.validated import validate as validate_library

    try:
        lib = validate_library(library or SHIPPED_LIBRARY).library
        built = build_indexes(lib, model, index or default_index_dir(lib.root), tune_head=tune_head)
    except AssistError as error:
        raise fail(error) from None
    for folder, manifest in built:
        out.print(
            f"built {manifest.index_type} index: {manifest.scripts} scripts, {manifest.examples} examples, "
            f"dim {manifest.dim}, model {manifest.model_id} → {folder}"
        )


def render_suggestion(suggestion: Any) -> None:
    if suggestion.alerts:
        for alert in suggestion.alerts:
            out.print(Panel(alert, style="bold white on red", title="ALERT"))
    top = suggestion.top
    title = "abstained: ask a clarifying question" if suggestion.abstained else f"{top.scenario} · {top.script_id}"
    # Text, not markup: script text may hold square brackets.
    body = Text(suggestion.reply, overflow="fold")
    if top is not None and not suggestion.abstained and top.steps:
        body.append("\n\n" + "\n".join(f"{i}. {step}" for i, step in enumerate(top.steps, 1)))
    if suggestion.escalation:
        body.append("\n\nEscalation: ", style="bold")
        body.append(suggestion.escalation)
    out.print(Panel(body, title=title, subtitle=f"score {top.score:.2f}" if top else None))
    out.print(f"[dim]why: {suggestion.why}[/]", highlight=False)
    if len(suggestion.candidates) > 1:
        table = Table("#", "scenario", "script", "score", "matched example", box=None)
        for rank, candidate in enumerate(suggestion.candidates, 1):
            table.add_row(str(rank), candidate.scenario, candidate.script_id,
                          f"{candidate.score:.2f}", candidate.matched_example)
        out.print(table)


@app.command()
def suggest(
    utterance: Annotated[str, typer.Argument(help="What the customer said.")],
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=1, max=20)] = 3,
    segment: Annotated[str | None, typer.Option(help="elderly | disabled | foreign | enterprise")] = None,
    channel: Annotated[str | None, typer.Option(help="phone | chat | email")] = None,
    as_json: JsonOpt = False,
    library: LibraryOpt = None,
    model: ModelOpt = None,
    index: IndexOpt = None,
    no_build: Annotated[bool, typer.Option("--no-build", help="Fail instead of building a stale index.")] = False,
) -> None:
    """The best approved reply for one customer utterance."""
    try:
        assistant = load_assistant(library, model, index, auto_build=not no_build)
        suggestion = assistant.suggest(utterance, top_k=top_k, segment=segment, channel=channel)
    except AssistError as error:
        raise fail(error) from None
    if as_json:
        print_json(asdict(suggestion))
    else:
        render_suggestion(suggestion)


@app.command()
def shell(
    segment: Annotated[str | None, typer.Option()] = None,
    channel: Annotated[str | None, typer.Option()] = None,
    library: LibraryOpt = None,
    model: ModelOpt = None,
    index: IndexOpt = None,
) -> None:
    """Interactive lookups with the model kept warm; one utterance per line, empty line or Ctrl-D quits.

    Lines starting with '!' are checked as agent drafts instead."""
    try:
        assistant = load_assistant(library, model, index)
    except AssistError as error:
        raise fail(error) from None
    session = assistant.session()
    err.print("ready: type what the customer said ('!draft' checks a draft; empty line quits)", style="dim")
    for line in sys.stdin:
        text = line.strip()
        if not text:
            break
        try:
            if text.startswith("!"):
                render_violations(assistant.check(text[1:]))
            else:
                render_suggestion(session.suggest(text, segment=segment, channel=channel))
        except AssistError as error:
            err.print(f"[red]error:[/] {error}", highlight=False)


def render_violations(violations: list[Any]) -> None:
    if not violations:
        out.print("[green]no compliance issue found[/]")
        return
    for v in violations:
        style = "bold red" if v.severity == "block" else "yellow"
        out.print(f"[{style}]{v.severity.upper()}[/] 「{v.matched_text}」 at {v.span[0]}-{v.span[1]} "
                  f"· {v.category} · rule {v.rule_id}", highlight=False)
        out.print(f"  why: {v.explanation}", highlight=False)
        out.print(f"  reference: {v.reference}", highlight=False)
        out.print(f"  safer wording: {v.suggestion}", highlight=False)


@app.command()
def check(
    draft: Annotated[str, typer.Argument(help="The agent's draft reply.")],
    as_json: JsonOpt = False,
    library: LibraryOpt = None,
) -> None:
    """Check an agent's draft against the rule packs. Exit 1 on a block violation."""
    from assist.library import SHIPPED_LIBRARY
    from assist.rules import load_rule_pack

    try:
        from assist.assistant import check_utterance

        pack = load_rule_pack(library or SHIPPED_LIBRARY)
        violations = pack.check(check_utterance(draft), audience="agent")
    except AssistError as error:
        raise fail(error) from None
    if as_json:
        print_json({"violations": [asdict(v) for v in violations],
                    "blocked": any(v.severity == "block" for v in violations)})
    else:
        render_violations(violations)
    if any(v.severity == "block" for v in violations):
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8765,
    library: LibraryOpt = None,
    model: ModelOpt = None,
    token: Annotated[str | None, typer.Option(envvar="ASSIST_TOKEN", show_default=False,
                                              help="Bearer token every /v1 call must send.")] = None,
    stdio: Annotated[bool, typer.Option("--stdio", help="JSON lines on stdin/stdout instead of HTTP.")] = False,
) -> None:
    """The agent console and JSON API on http://HOST:PORT/ (or JSON lines with --stdio)."""
    from assist.serve import run

    try:
        run(host=host, port=port, library=library, model=model, token=token, stdio=stdio)
    except AssistError as error:
        raise fail(error) from None


@app.command("rules-eval")
def rules_eval(
    file: Annotated[Path, typer.Argument(help='JSONL of {"text", "violations": [category, ...]}.')],
    library: LibraryOpt = None,
    details: Annotated[bool, typer.Option(help="List misses and false flags.")] = True,
) -> None:
    """Violation recall per category and false flags on a labelled set of agent drafts."""
    from assist.compliance import evaluate_drafts
    from assist.library import SHIPPED_LIBRARY
    from assist.rules import load_rule_pack

    try:
        report = evaluate_drafts(load_rule_pack(library or SHIPPED_LIBRARY), file)
    except AssistError as error:
        raise fail(error) from None
    sys.stdout.write(report.format_table(details=details) + "\n")


@app.command()
def evaluate(
    file: Annotated[Path, typer.Argument(help="JSONL {text, scenario}, CSV with a header, or plain text lines.")],
    as_json: JsonOpt = False,
    calibrate: Annotated[bool, typer.Option(help="Choose and store the abstention threshold.")] = False,
    top: Annotated[int, typer.Option("--top", min=1, help="Scenarios in the volume table.")] = 10,
    gaps: Annotated[bool, typer.Option("--gaps/--no-gaps", help="Cluster uncovered requests.")] = True,
    report_dir: Annotated[Path | None, typer.Option("--report", help="Write report.md and PNG charts here.")]
    = None,
    emit_stubs: Annotated[Path | None, typer.Option("--emit-stubs", help="Write draft scripts for gap clusters.")]
    = None,
    text_col: Annotated[str, typer.Option("--text-col")] = "text",
    label_col: Annotated[str, typer.Option("--label-col")] = "scenario",
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Processes to evaluate with (default: one per core for files of "
        f"{PARALLEL_FROM_LINES:,} lines or more, else 1).")] = None,
    library: LibraryOpt = None,
    model: ModelOpt = None,
    index: IndexOpt = None,
) -> None:
    """Coverage, volume, accuracy, abstention, confusions and gap clusters for a file of utterances."""
    from assist.datafiles import read_utterances
    from assist.evaluate import best_threshold, run_outcomes
    from assist.evaluate import evaluate as run_evaluation
    from assist.gaps import GapCollector
    from assist.gaps import emit_stubs as write_stubs
    from assist.index_store import write_calibration
    from assist.report import gaps_to_dict, render_gaps_table, render_volume_table, write_report

    def items() -> Any:
        return read_utterances(file, text_field=text_col, label_field=label_col)

    try:
        assistant = load_assistant(library, model, index)
        lines = count_lines(file)
        processes = workers if workers is not None else default_workers(lines)
        if calibrate:
            outcomes = list(run_outcomes(assistant, items(), workers=processes))
            threshold, f1 = best_threshold(outcomes)
            write_calibration(assistant.index_dir, assistant.manifest, threshold,
                              {"f1": round(f1, 4), "source": file.name, "lines": len(outcomes)})
            assistant.threshold = threshold
            err.print(f"calibrated threshold {threshold:.4f} (out_of_scope F1 {f1:.3f}) stored in "
                      f"{assistant.index_dir / 'calibration.json'}")
        collector = GapCollector(assistant) if gaps or emit_stubs else None
        with progress_bar(lines) as advance:
            def on_batch(batch: list[Any], suggestions: list[Any]) -> None:
                if collector is not None:
                    collector.add_batch(batch, suggestions)
                advance(len(batch))

            report = run_evaluation(assistant, items(), on_batch=on_batch, workers=processes)
        gap_report = collector.report() if collector is not None else None
        summary = report.summary()
        if report_dir is not None:
            written = write_report(summary, gap_report, report_dir, top=top)
            err.print(f"report written: {', '.join(str(p) for p in written)}")
        if emit_stubs is not None:
            if gap_report is not None and gap_report.clusters:
                stubs = write_stubs(gap_report, emit_stubs)
                err.print(f"draft scripts written: {', '.join(str(p) for p in stubs)} "
                          "(append the .scenarios.yaml entries to the library's scenarios.yaml)")
            else:
                err.print("no gap clusters found; no draft scripts written")
    except ValueError as error:
        err.print(f"[red]error:[/] {error}")
        raise typer.Exit(2) from None
    except AssistError as error:
        raise fail(error) from None
    if as_json:
        print_json({**summary, "gaps": gaps_to_dict(gap_report) if gap_report is not None else None})
        return
    render_evaluation(summary, top)
    out.print(render_volume_table(summary, top))
    if gap_report is not None:
        out.print(render_gaps_table(gap_report))


@contextmanager
def progress_bar(total: int | None) -> Iterator[Callable[[int], None]]:
    """Progress on stderr for long runs; silent for short files or when stderr is not a terminal."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    quiet = not err.is_terminal or (total is not None and total < 2_000)
    columns = (TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True, disable=quiet) as progress:
        task = progress.add_task("evaluating", total=total)
        yield lambda n: progress.advance(task, n)


def count_lines(path: Path) -> int | None:
    """Newlines in the file (an upper bound on utterances), for the progress bar's total."""
    try:
        with open(path, "rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    except OSError:
        return None


def render_evaluation(summary: dict[str, Any], top: int) -> None:
    table = Table("metric", "value", box=None)
    for key in ("utterances", "coverage", "abstained", "pinned", "answered_by_quick_pass", "threshold",
                "labelled_in_scope", "top1",
                "top3", "answered_and_correct", "out_of_scope_precision", "out_of_scope_recall",
                "out_of_scope_f1"):
        table.add_row(key, str(summary[key]))
    out.print(table)
    if summary["labelled_in_scope"]:
        per = Table("scenario", "accuracy", box=None, title="per-scenario accuracy")
        for scenario, accuracy in summary["per_scenario_accuracy"].items():
            per.add_row(scenario, f"{accuracy:.2f}")
        out.print(per)
    if summary["top_confusions"]:
        pairs = Table("label", "predicted", "count", box=None, title="most confused")
        for row in summary["top_confusions"][:top]:
            pairs.add_row(row["label"], row["predicted"], str(row["count"]))
        out.print(pairs)


@app.command("import")
def import_history(
    file: Annotated[Path, typer.Argument(help="Labelled history: CSV, TSV or JSONL.")],
    out_dir: Annotated[Path, typer.Option("--out", help="New library folder to write.")],
    text_col: Annotated[str, typer.Option("--text-col")] = "text",
    label_col: Annotated[str, typer.Option("--label-col")] = "scenario",
    max_per_label: Annotated[int | None, typer.Option("--max-per-label", min=1)] = None,
    holdout: Annotated[float, typer.Option(min=0.0, max=0.9, help="Fraction held out for evaluation.")] = 0.0,
    holdout_file: Annotated[Path | None, typer.Option(help="Where held-out lines go (JSONL).")] = None,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Build a library of examples-only scripts from labelled historical utterances."""
    from assist.datafiles import read_utterances
    from assist.importer import import_labelled

    try:
        summary = import_labelled(
            read_utterances(file, text_field=text_col, label_field=label_col), out_dir,
            max_per_label=max_per_label, holdout=holdout, holdout_file=holdout_file, seed=seed,
        )
    except AssistError as error:
        raise fail(error) from None
    out.print(
        f"wrote {summary.labels} scenarios, {summary.examples} examples to {summary.out}"
        f" ({summary.held_out} held out, {summary.skipped} unlabelled lines skipped)"
    )


@app.command()
def bench(
    lookups: Annotated[int, typer.Option(min=50)] = 1000,
    batch: Annotated[int, typer.Option(min=100)] = 5000,
    scales: Annotated[str, typer.Option(help="Synthetic library sizes, comma-separated ('' for none).")]
    = "1000,10000,100000",
    stream_lines: Annotated[int, typer.Option(help="Also stream-evaluate this many generated lines.")] = 0,
    queries: Annotated[Path | None, typer.Option(
        help="Also time lookups on these utterances (JSONL with 'text', CSV or plain text), "
        "e.g. a sample of real calls; only figures are printed.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Measure latency, throughput, build time and memory on this machine."""
    from assist.bench import run_bench
    from assist.datafiles import read_utterances

    sizes = tuple(int(x) for x in scales.split(",") if x.strip())
    try:
        given = [item.text for item in read_utterances(queries, label_field=None)] if queries else None
        result = run_bench(lookups=lookups, batch=batch, scales=sizes, stream_lines=stream_lines, queries=given,
                           progress=lambda message: err.print(message, style="dim"))
    except AssistError as error:
        raise fail(error) from None
    if as_json:
        print_json({"machine": result.machine, "figures": result.figures})
        return
    table = Table("figure", "value", box=None, title="assist bench")
    for key, value in {**result.machine, **result.figures}.items():
        table.add_row(key, str(value))
    out.print(table)


@app.command("export-model")
def export_model(
    folder: Annotated[Path, typer.Argument(help="Where to write the model folder.")],
    static: Annotated[bool, typer.Option("--static", help="Export the static distillation (usem3-static).")] = False,
) -> None:
    """Write the embedded model as a sentence-transformers folder (usable with --model)."""
    from assist.st_module import export_default_model

    export_default_model(folder, static=static)
    out.print(f"wrote {folder}")


def main() -> None:
    try:
        app()
    except AssistError as error:
        err.print(f"error: {error}", highlight=False)
        raise SystemExit(error.exit_code) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
