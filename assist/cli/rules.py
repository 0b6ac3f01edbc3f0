"""Rule-pack commands: ``rules-eval``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from assist.cli.app import LibraryOpt, app


@app.command("rules-eval")
def rules_eval(
    file: Annotated[Path, typer.Argument(help='JSONL of {"text", "violations": [category, ...]}.')],
    library: LibraryOpt = None,
    details: Annotated[bool, typer.Option(help="List misses and false flags.")] = True,
) -> None:
    """Violation recall per category and false flags on a labelled set of agent drafts."""
    from assist.compliance.checks import evaluate_drafts
    from assist.compliance.rules import load_rule_pack
    from assist.library.loader import SHIPPED_LIBRARY

    report = evaluate_drafts(load_rule_pack(library or SHIPPED_LIBRARY), file)
    sys.stdout.write(report.format_table(details=details) + "\n")


