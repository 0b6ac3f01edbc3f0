"""Rule-pack commands: ``rules explain``, ``rules test`` and the older alias ``rules-eval``."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assist.cli.app import JsonOpt, LibraryOpt, app, err, out, print_json

if TYPE_CHECKING:
    from assist.compliance.rules import RulePack
    from assist.compliance.semantic import SemanticSignal
    from assist.types import Violation

rules_app = typer.Typer(help="Read and test the compliance rule pack.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

DraftsArg = Annotated[Path, typer.Argument(help='JSONL of {"text", "violations": [category, ...]}.')]
DetailsOpt = Annotated[bool, typer.Option(help="List misses and false flags.")]
SemanticOpt = Annotated[bool, typer.Option(help="Add the semantic signal to the rules (as `assist check` does).")]


def load_pack(library: Path | None) -> RulePack:
    """The rules in force, from the user cache when their files and assist's code are unchanged."""
    from assist.compliance.validated import cached_rule_pack
    from assist.library.loader import SHIPPED_LIBRARY

    return cached_rule_pack(library or SHIPPED_LIBRARY)


def semantic_signal(pack: RulePack) -> SemanticSignal:
    """The pack's semantic signal on the static quick-pass encoder (~0.03 ms a clause)."""
    from assist.encoders.base import STATIC_MODEL
    from assist.encoders.registry import get_encoder

    return pack.semantic_signal(get_encoder(STATIC_MODEL),
                                emit=lambda message: err.print(message, style="dim", highlight=False))


def check_draft(text: str, library: Path | None) -> list[Violation]:
    """A draft checked as ``assist check`` does: the rules in force, then the semantic signal."""
    pack = load_pack(library)
    return pack.check(text, audience="agent", semantic=semantic_signal(pack))


@rules_app.command("explain", epilog="Example: assist rules explain credential.request --text '把验证码报给我'")
def explain(
    rule_id: Annotated[str, typer.Argument(help="A rule id, e.g. credential.request.")],
    text: Annotated[str | None, typer.Option("--text", help="Also show how the rule reads this text.")] = None,
    library: LibraryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What a rule matches and why: its triggers, their lexicons' phrases, the scopes it respects,
    its examples; with --text, each hit in the text and what cancelled it (a scope, an ``unless``
    phrase near it, or the semantic veto of a draft the signal reads as clean). A semantic flag's id
    (semantic.<category>) shows that category's threshold and cross-validated figures."""
    from assist.compliance.explain import explain_rule, explain_semantic, format_semantic
    from assist.compliance.rules import SEMANTIC_PREFIX
    from assist.errors import InputError

    pack = load_pack(library)
    if rule_id.startswith(SEMANTIC_PREFIX):
        signal = semantic_signal(pack)
        category = rule_id.removeprefix(SEMANTIC_PREFIX)
        if category not in signal.thresholds:
            known = ", ".join(SEMANTIC_PREFIX + c for c in sorted(signal.thresholds))
            raise InputError(f"the semantic signal has no category '{category}' (it has: {known})")
        semantic = explain_semantic(signal, category, text)
        if as_json:
            print_json(semantic)
        else:
            out.print(format_semantic(semantic), markup=False, highlight=False, soft_wrap=True)
        return
    if pack.rule(rule_id) is None:
        known = ", ".join(r.id for r in pack.rules)
        raise InputError(f"no rule '{rule_id}' is in force (rules: {known})")
    explained = explain_rule(pack, rule_id, text, semantic_signal(pack) if text is not None else None)
    if as_json:
        print_json(explained)
        return
    out.print(format_explained(explained), markup=False, highlight=False)


def format_explained(data: dict[str, Any]) -> str:
    lines = [f"{data['id']}  ({data['category']}, {data['severity']}, {data['applies_to']})  {data['source']}",
             f"  {data['explanation']}", "  fires on:"]
    lines += [f"    - {t}" for t in data["triggers"]]
    for name, phrases in data["lexicons"].items():
        lines.append(f"  lexicon {name}:")
        lines += [f"    {language}: {', '.join(words)}" for language, words in phrases.items()]
    lines.append(f"  cancelled by scopes: {', '.join(data['respects']) or 'none'}")
    if data["unless"]:
        reach = data["unless_reach"]
        lines.append(f"  cancelled by a phrase of {', '.join(data['unless'])} within reach: {reach['reach']}"
                     f"{'  ' + reach['source'] if reach['source'] else ''}")
        lines.append(f"    (the same reach bounds what cancels a semantic flag of {data['category']}): {reach['why']}")
    lines += [f"  flags:  {t}" for t in data["flags"]] + [f"  passes: {t}" for t in data["passes"]]
    for hit in data.get("hits", []):
        pieces = ", ".join(f"{name} 「{words}」" for name, words in hit["pieces"])
        verdict = f"cancelled by {hit['cancelled_by']}" if hit["cancelled_by"] else "FIRES"
        lines.append(f"  text: 「{hit['matched']}」 {pieces}: {verdict}")
    if "hits" in data and not data["hits"]:
        lines.append("  text: no trigger matched")
    return "\n".join(lines)


@rules_app.command("test", epilog="Example: assist rules test drafts.jsonl --no-details --json")
def test(file: DraftsArg, library: LibraryOpt = None, details: DetailsOpt = True,
         semantic: SemanticOpt = True, as_json: JsonOpt = False) -> None:
    """Recall per category and false flags on a labelled set of agent drafts."""
    run_labelled(file, library, details=details, semantic=semantic, as_json=as_json)


@app.command("rules-eval", epilog="Example: assist rules-eval drafts.jsonl --no-details --json")
def rules_eval(file: DraftsArg, library: LibraryOpt = None, details: DetailsOpt = True,
               semantic: SemanticOpt = True, as_json: JsonOpt = False) -> None:
    """The same as `assist rules test` (its older name)."""
    run_labelled(file, library, details=details, semantic=semantic, as_json=as_json)


def run_labelled(file: Path, library: Path | None, *, details: bool, semantic: bool, as_json: bool) -> None:
    from assist.compliance.checks import read_labelled_drafts, score_drafts

    pack = load_pack(library)
    signal = semantic_signal(pack) if semantic else None
    report = score_drafts(pack, read_labelled_drafts(file), str(file), semantic=signal)
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
