"""Rule-pack commands: ``rules-eval``."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from assist.cli.app import JsonOpt, LibraryOpt, app, print_json


@app.command("rules-eval", epilog="Example: assist rules-eval drafts.jsonl --no-details --json")
def rules_eval(
    file: Annotated[Path, typer.Argument(help='JSONL of {"text", "violations": [category, ...]}.')],
    library: LibraryOpt = None,
    details: Annotated[bool, typer.Option(help="List misses and false flags.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Violation recall per category and false flags on a labelled set of agent drafts."""
    from assist.compliance.checks import evaluate_drafts
    from assist.compliance.rules import load_rule_pack
    from assist.library.loader import SHIPPED_LIBRARY

    report = evaluate_drafts(load_rule_pack(library or SHIPPED_LIBRARY), file)
    if as_json:
        print_json(report_json(report, details=details))
        return
    sys.stdout.write(report.format_table(details=details) + "\n")


def report_json(report: Any, *, details: bool) -> dict[str, Any]:
    """The report's fields and rates; the misses and false flags (which quote drafts) only with details."""
    data = asdict(report)
    data["categories"] = [{**asdict(c), "recall": c.recall, "precision": c.precision} for c in report.categories]
    data.update(recall=report.recall, false_flag_rate=report.false_flag_rate,
                undetected_categories=report.undetected_categories)
    if not details:
        del data["misses"], data["false_flags"]
    return data
