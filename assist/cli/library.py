"""Library commands: ``validate``, ``build``, ``import`` and ``export-model``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assist.cli.app import IndexOpt, LibraryOpt, ModelOpt, app, out


@app.command()
def validate(library: LibraryOpt = None) -> None:
    """Check a library's scripts and rules without loading the model."""
    from assist.compliance.validated import validate as validate_library
    from assist.library.loader import SHIPPED_LIBRARY

    validated = validate_library(library or SHIPPED_LIBRARY)
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
    from assist.compliance.validated import validate as validate_library
    from assist.library.loader import SHIPPED_LIBRARY
    from assist.lookup.assistant import build_indexes, default_index_dir

    lib = validate_library(library or SHIPPED_LIBRARY).library
    built = build_indexes(lib, model, index or default_index_dir(lib.root), tune_head=tune_head)
    for folder, manifest in built:
        out.print(
            f"built {manifest.index_type} index: {manifest.scripts} scripts, {manifest.examples} examples, "
            f"dim {manifest.dim}, model {manifest.model_id} → {folder}"
        )


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
    from assist.library.importer import import_labelled
    from assist.text.datafiles import read_utterances

    summary = import_labelled(
        read_utterances(file, text_field=text_col, label_field=label_col), out_dir,
        max_per_label=max_per_label, holdout=holdout, holdout_file=holdout_file, seed=seed,
    )
    out.print(
        f"wrote {summary.labels} scenarios, {summary.examples} examples to {summary.out}"
        f" ({summary.held_out} held out, {summary.skipped} unlabelled lines skipped)"
    )


@app.command("export-model")
def export_model(
    folder: Annotated[Path, typer.Argument(help="Where to write the model folder.")],
    static: Annotated[bool, typer.Option("--static", help="Export the static distillation (usem3-static).")] = False,
) -> None:
    """Write the embedded model as a sentence-transformers folder (usable with --model)."""
    from assist.encoders.st_module import export_default_model

    export_default_model(folder, static=static)
    out.print(f"wrote {folder}")


