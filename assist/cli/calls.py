"""Live-call commands: ``assist replay``, ``assist feedback report|propose|give``, ``assist review``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from assist.cli.app import JsonOpt, LibraryOpt, ModelOpt, app, load_assistant, out, print_json
from assist.errors import InputError

StoreOpt = Annotated[str | None, typer.Option(
    "--store", envvar="ASSIST_STORE", show_default=False,
    help="Call store: sqlite:///PATH or postgresql://USER@HOST/DB (default: a SQLite file in the "
         "user's data folder).")]

feedback_app = typer.Typer(help="Agent feedback on suggestions: report, propose library drafts, record.",
                           no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")


def _store(url: str | None) -> Any:
    from assist.calls.store import CallStore

    return CallStore(url)


def read_transcript(path: Path) -> list[dict[str, Any]]:
    """The turns of a JSON-lines transcript; one clear error naming the line at fault."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the transcript ({type(error).__name__})") from None
    turns = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            raise InputError(f"{path}:{number}: not a JSON object; each line is "
                             '{"speaker": "customer", "text": "..."}') from None
        if not isinstance(item, dict) or item.get("speaker") not in ("customer", "agent") \
                or not isinstance(item.get("text"), str):
            raise InputError(f"{path}:{number}: needs \"speaker\" (customer or agent) and \"text\"")
        item.setdefault("turn_id", f"line-{number}")
        turns.append(item)
    return turns


@app.command(epilog="Example: assist replay transcript.jsonl --call demo-1 --delay 1.5")
def replay(
    transcript: Annotated[Path, typer.Argument(help="JSON lines: {\"speaker\", \"text\", \"customer\"?, "
                                                    "\"turn_id\"?} per turn.")],
    call: Annotated[str, typer.Option("--call", help="The call id to stream into.")],
    store: StoreOpt = None,
    library: LibraryOpt = None,
    model: ModelOpt = None,
    delay: Annotated[float, typer.Option(min=0, help="Seconds between turns (for demos).")] = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Stream a transcript into a call, as a CTI or ASR system would; consoles following the call see it."""
    from assist.calls.memory import CallMemory

    turns = read_transcript(transcript)
    memory = CallMemory(load_assistant(library, model, None), _store(store))
    for number, item in enumerate(turns):
        if number and delay:
            time.sleep(delay)
        outcome = memory.turn(call, str(item["turn_id"]), item["speaker"], item["text"], item.get("customer"))
        if as_json:
            print_json(outcome.result)
            continue
        result = outcome.result
        if outcome.speaker == "agent":
            found = ", ".join(v["rule_id"] for v in result["violations"]) or "ok"
            out.print(f"{outcome.turn_id} agent: {found}", highlight=False)
        else:
            top = result["candidates"][0]["script_id"] if result["candidates"] else "-"
            shown = "abstained" if result["abstained"] else top
            codes = " ".join(f"[{a.code}]" for a in outcome.alerts)
            out.print(f"{outcome.turn_id} customer: {shown} {codes}".rstrip(), highlight=False, markup=False)


@feedback_app.command("report", epilog="Example: assist feedback report --top 20 --json")
def feedback_report(store: StoreOpt = None, as_json: JsonOpt = False,
                    top: Annotated[int, typer.Option(min=1)] = 10) -> None:
    """Acceptance by script and scenario, most rejected scripts, runner-ups chosen, abstentions resolved."""
    from assist.calls.report import feedback_report as build
    from assist.calls.report import report_markdown

    report = build(_store(store), top=top)
    if as_json:
        print_json(report.to_json())
    else:
        typer.echo(report_markdown(report), nl=False)


@feedback_app.command("propose", epilog="Example: assist feedback propose --out drafts/")
def feedback_propose(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for drafts.yaml (merged if present).")],
    store: StoreOpt = None,
    library: LibraryOpt = None,
) -> None:
    """Draft new scenario examples from runner-ups agents chose and abstentions they resolved."""
    from assist.calls.propose import propose
    from assist.library.loader import load_library

    path, fresh = propose(_store(store), load_library(library), out_dir)
    typer.echo(f"{len(fresh)} new draft(s) in {path}; review with: assist review {out_dir}"
               + (f" --library {library}" if library else ""))


@feedback_app.command("give", epilog="Example: assist feedback give demo-1 t3 runner_up --script card_lost_stolen.zh")
def feedback_give(
    call: Annotated[str, typer.Argument(help="Call id.")],
    turn: Annotated[str, typer.Argument(help="The customer turn whose suggestion this is about.")],
    action: Annotated[str, typer.Argument(help="used, edited, rejected or runner_up.")],
    script: Annotated[str | None, typer.Option("--script", help="The script chosen (runner_up).")] = None,
    text: Annotated[str | None, typer.Option("--text", help="What the agent said instead (edited).")] = None,
    event: Annotated[str | None, typer.Option("--event", help="Event id (default: one per call, turn "
                                                              "and action).")] = None,
    store: StoreOpt = None,
    library: LibraryOpt = None,
) -> None:
    """Record one feedback event from the shell."""
    from assist.calls.feedback import record_feedback
    from assist.library.loader import load_library

    outcome = record_feedback(load_library(library), _store(store), call, event or f"{turn}-{action}", turn,
                              action, script, text)
    typer.echo(f"{'stored' if outcome.new else 'already stored'}: {outcome.action} on {call}/{turn}"
               + (f" -> {outcome.script_id}" if outcome.script_id else ""))


@app.command(epilog="Example: assist review drafts/ --approve d1 --reject d2")
def review(
    drafts: Annotated[Path, typer.Argument(help="The folder (or drafts.yaml) from assist feedback propose.")],
    library: LibraryOpt = None,
    approve: Annotated[list[str] | None, typer.Option("--approve", help="Draft id to approve.")] = None,
    reject: Annotated[list[str] | None, typer.Option("--reject", help="Draft id to reject.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List drafted examples; approve (writes the library YAML) or reject them."""
    from assist.calls.propose import DRAFTS_FILE, read_drafts
    from assist.calls.review import approve as do_approve
    from assist.calls.review import refuse_installed
    from assist.calls.review import reject as do_reject
    from assist.library.loader import SHIPPED_LIBRARY

    path = drafts / DRAFTS_FILE if drafts.is_dir() else drafts
    root = library or SHIPPED_LIBRARY
    if approve:
        refuse_installed(root)
    for wanted in approve or []:
        written = do_approve(path, wanted, root)
        typer.echo(f"approved {wanted}: example added in {written}")
    for wanted in reject or []:
        do_reject(path, wanted)
        typer.echo(f"rejected {wanted}")
    if approve:
        typer.echo("rebuild the index to use them: assist build" + (f" --library {library}" if library else ""))
    if approve or reject:
        return
    items = read_drafts(path)
    if as_json:
        print_json([d.to_yaml() for d in items])
        return
    for d in items:
        out.print(f"{d.id}  {d.status:<8} {d.scenario:<24} {d.script_id:<28} x{d.events} ({d.reason})  "
                  f"{d.example}", highlight=False, markup=False)
    if not items:
        typer.echo("no drafts")
