"""Library commands: ``validate``, ``build``, ``import`` and ``export-model``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from assist.cli.app import IndexOpt, JsonOpt, LibraryOpt, ModelOpt, activity, app, err, out, print_json

T = TypeVar("T")


@app.command(epilog="Example: assist validate --library my_library/ --json")
def validate(library: LibraryOpt = None, as_json: JsonOpt = False) -> None:
    """Check a library's scripts and rules without loading the model."""
    from assist.compliance.validated import validate as validate_library
    from assist.library.loader import SHIPPED_LIBRARY

    validated = validate_library(library or SHIPPED_LIBRARY)
    lib, pack, warnings = validated.library, validated.rules, validated.warnings
    examples = sum(len(s.examples) for s in lib.scripts)
    noted = {sid: [asdict(v) for v in found] for sid, found in warnings.items() if found}
    if as_json:
        print_json({"ok": True, "library": str(lib.root), "scripts": len(lib.scripts), "examples": examples,
                    "scenarios": len(lib.scenarios), "rules": len(pack.rules), "warnings": noted,
                    "switched_off": [{"id": i, "reason": r} for i, r in pack.switched_off]})
        return
    out.print(
        f"ok: {len(lib.scripts)} scripts, {examples} examples, {len(lib.scenarios)} scenarios, "
        f"{len(pack.rules)} rules; {len(noted)} scripts carry warn-level notes"
    )
    from assist.compliance.rule_files import pack_notes  # shipped rules switched off, no rules in force

    for note in pack_notes(pack):
        out.print(note, markup=False, highlight=False)


@app.command(epilog="Example: assist build --library my_library/")
def build(
    library: LibraryOpt = None, model: ModelOpt = None, index: IndexOpt = None,
    tune_head: Annotated[bool, typer.Option(
        "--tune-head", help="Choose the head's penalty and blend by cross-validation on the library's examples "
        "(better ranking on large imported libraries; recalibrate the abstention threshold).",
    )] = False,
    as_json: JsonOpt = False,
) -> None:
    """Embed the library and write the index atomically, with a manifest; then make what a first
    lookup would otherwise make (the per-language calibration, the compliance semantic signal).

    Lookups still check all of it and rebuild what is stale; building ahead keeps the first one fast."""
    from assist.compliance.validated import validate as validate_library
    from assist.library.loader import SHIPPED_LIBRARY
    from assist.lookup.assistant import default_index_dir
    from assist.lookup.prepare import prepare_lookups

    with activity("building the index") as step:
        step("validating the library")
        validated = validate_library(library or SHIPPED_LIBRARY)
        lib = validated.library

        def log(message: str) -> None:
            err.print(message, style="dim", highlight=False)
            step(message)

        step(f"embedding {sum(len(s.examples) for s in lib.active_scripts):,} examples")
        result = prepare_lookups(lib, validated.rules, model, index or default_index_dir(lib.root),
                                 tune_head=tune_head, log=log)
    if as_json:
        print_json({"built": [{"folder": str(folder), **asdict(manifest)} for folder, manifest in result.built],
                    "prepared": [p.to_dict() for p in result.prepared]})
        return
    for folder, manifest in result.built:
        out.print(
            f"built {manifest.index_type} index: {manifest.scripts} scripts, {manifest.examples} examples, "
            f"dim {manifest.dim}, model {manifest.model_id} → {folder}"
        )
    for prepared in result.prepared:
        out.print(f"{'made' if prepared.made else 'already made'}: {prepared.what} → {prepared.where}")


@app.command("import", epilog="Example: assist import history.csv --text-col text --label-col intent "
             "--max-per-label 10 --holdout 0.2 --holdout-file held.jsonl --out bootstrap_lib/")
def import_history(
    file: Annotated[Path, typer.Argument(help="Labelled history: CSV, TSV or JSONL.")],
    out_dir: Annotated[Path, typer.Option("--out", help="New library folder to write.")],
    text_col: Annotated[str, typer.Option("--text-col", help="Column (or JSON field) of the text.")] = "text",
    label_col: Annotated[str, typer.Option("--label-col", help="Column (or JSON field) of the label.")]
    = "scenario",
    max_per_label: Annotated[int | None, typer.Option(
        "--max-per-label", min=1, help="Keep at most this many examples per label (a uniform sample).")] = None,
    holdout: Annotated[float, typer.Option(
        "--holdout", min=0.0, max=0.9, help="Fraction held out for evaluation.")] = 0.0,
    holdout_file: Annotated[Path | None, typer.Option(
        "--holdout-file", help="Where held-out lines go (JSONL).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the per-label sample.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Build a library of examples-only scripts from labelled historical utterances."""
    from assist.library.importer import import_labelled
    from assist.text.datafiles import read_utterances

    with activity(f"importing {file.name}") as step:
        items = counted(read_utterances(file, text_field=text_col, label_field=label_col),
                        lambda n: step(f"{n:,} lines read"))
        summary = import_labelled(items, out_dir, max_per_label=max_per_label, holdout=holdout,
                                  holdout_file=holdout_file, seed=seed)
    if as_json:
        print_json({**asdict(summary), "out": str(summary.out)})
        return
    out.print(
        f"wrote {summary.labels} scenarios, {summary.examples} examples to {summary.out}"
        f" ({summary.held_out} held out, {summary.skipped} unlabelled lines skipped)"
    )


def counted(items: Iterable[T], report: Callable[[int], None], every: int = 1000) -> Iterator[T]:
    """``items`` unchanged, calling ``report(n)`` every ``every`` items."""
    number = 0
    for number, item in enumerate(items, 1):
        if number % every == 0:
            report(number)
        yield item


@app.command("export-model", epilog="Example: assist export-model models/usem3 && assist build --model models/usem3")
def export_model(
    folder: Annotated[Path, typer.Argument(help="Where to write the model folder.")],
    static: Annotated[bool, typer.Option("--static", help="Export the static distillation (usem3-static).")] = False,
) -> None:
    """Write the embedded model as a sentence-transformers folder (usable with --model)."""
    from assist.encoders.registry import require_sentence_transformers

    require_sentence_transformers("assist export-model")
    from assist.encoders.st_module import export_default_model

    export_default_model(folder, static=static)
    out.print(f"wrote {folder}")
