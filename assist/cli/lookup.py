"""Lookup commands for a live call: ``suggest``, ``check`` and ``shell``."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Annotated

import typer

from assist.cli.app import IndexOpt, JsonOpt, LibraryOpt, ModelOpt, app, err, load_assistant, print_json
from assist.cli.render import render_suggestion, render_violations
from assist.errors import AssistError


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
    assistant = load_assistant(library, model, index, auto_build=not no_build)
    suggestion = assistant.suggest(utterance, top_k=top_k, segment=segment, channel=channel)
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
    assistant = load_assistant(library, model, index)
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


@app.command()
def check(
    draft: Annotated[str, typer.Argument(help="The agent's draft reply.")],
    as_json: JsonOpt = False,
    library: LibraryOpt = None,
) -> None:
    """Check an agent's draft against the rule packs. Exit 1 on a block violation."""
    from assist.compliance.rules import load_rule_pack
    from assist.library.loader import SHIPPED_LIBRARY
    from assist.lookup.assistant import check_utterance

    pack = load_rule_pack(library or SHIPPED_LIBRARY)
    violations = pack.check(check_utterance(draft), audience="agent")
    if as_json:
        print_json({"violations": [asdict(v) for v in violations],
                    "blocked": any(v.severity == "block" for v in violations)})
    else:
        render_violations(violations)
    if any(v.severity == "block" for v in violations):
        raise typer.Exit(1)


