"""Lookup commands for a live call: ``suggest``, ``check`` and ``shell``."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from assist.cli.app import (
    ChannelOpt,
    IndexOpt,
    JsonOpt,
    LibraryOpt,
    ModelOpt,
    SegmentOpt,
    app,
    choice,
    err,
    load_assistant,
    print_json,
    print_json_line,
    read_text_arg,
)
from assist.cli.render import render_suggestion, render_violations
from assist.errors import EXIT_FINDING, AssistError


@app.command(epilog="Example: assist suggest \"我的卡丢了\" --segment elderly   "
             "(or: echo \"我的卡丢了\" | assist suggest - --json)")
def suggest(
    utterance: Annotated[str, typer.Argument(help="What the customer said; - reads it from standard input.")],
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=1, max=20, help="Scripts to list.")] = 3,
    segment: SegmentOpt = None,
    channel: ChannelOpt = None,
    as_json: JsonOpt = False,
    library: LibraryOpt = None,
    model: ModelOpt = None,
    index: IndexOpt = None,
    no_build: Annotated[bool, typer.Option("--no-build", help="Fail instead of building a stale index.")] = False,
) -> None:
    """The best approved reply for one customer utterance."""
    from assist.lookup.assistant import check_utterance

    text = check_utterance(read_text_arg(utterance, "utterance"))
    assistant = load_assistant(library, model, index, auto_build=not no_build)
    suggestion = assistant.suggest(text, top_k=top_k, segment=choice(segment), channel=choice(channel))
    if as_json:
        print_json(asdict(suggestion))
    else:
        render_suggestion(suggestion)


@app.command(epilog="Example: assist check \"您把验证码报给我就行\" --json")
def check(
    draft: Annotated[str, typer.Argument(help="The agent's draft reply; - reads it from standard input.")],
    as_json: JsonOpt = False,
    library: LibraryOpt = None,
) -> None:
    """Check an agent's draft against the rule packs. Exit 1 on a block violation."""
    from assist.cli.rules import check_draft
    from assist.limits import check_utterance  # not the lookup's modules: a check loads no index

    text = check_utterance(read_text_arg(draft, "draft"))
    violations = check_draft(text, library)
    blocked = any(v.severity == "block" for v in violations)
    if as_json:
        print_json(check_result(violations))
    else:
        render_violations(violations)
    if blocked:
        raise typer.Exit(EXIT_FINDING)


def check_result(violations: list[Any]) -> dict[str, Any]:
    return {"violations": [asdict(v) for v in violations],
            "blocked": any(v.severity == "block" for v in violations)}


SHELL_HELP = """\
Type what the customer said and press Enter for the suggestion card.
  !TEXT   check TEXT as the agent's draft
  :new    start a new call (forgets the scenarios raised so far)
  :help   this help
  :quit   leave (or Ctrl-D)
Blank lines are ignored. Up and Down recall earlier lines (card, ID and phone numbers redacted)."""

PROMPT = "assist> "


@app.command(epilog="Example: assist shell --segment elderly   (then type: 我的卡丢了)")
def shell(
    segment: SegmentOpt = None,
    channel: ChannelOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per line.")] = False,
    library: LibraryOpt = None,
    model: ModelOpt = None,
    index: IndexOpt = None,
) -> None:
    """Interactive lookups for a call, with the model kept warm.

    One utterance per line; the shell remembers the call (the third time a scenario comes up it
    advises escalation). '!draft' checks a draft, ':new' starts a new call, ':help' lists the
    commands, ':quit' or Ctrl-D leaves."""
    assistant = load_assistant(library, model, index)
    repl = Shell(assistant, segment=choice(segment), channel=choice(channel), as_json=as_json)
    interactive = sys.stdin.isatty()
    if interactive:
        err.print("ready: type what the customer said (:help for commands, Ctrl-D quits)", style="dim",
                  highlight=False)
    history = ShellHistory(history_path()) if interactive else None
    lines = prompted_lines(input, history) if interactive else piped_lines()
    try:
        for line in lines:
            if not repl.handle(line):
                break
    finally:
        if history is not None:
            history.save()


class Shell:
    """What the shell does with one line: a lookup, a draft check or a ``:`` command."""

    def __init__(self, assistant: Any, *, segment: str | None, channel: str | None, as_json: bool) -> None:
        self.assistant = assistant
        self.segment = segment
        self.channel = channel
        self.as_json = as_json
        self.call = 1
        self.session = assistant.session()

    def handle(self, line: str) -> bool:
        """Act on ``line``; False when the shell should end."""
        text = line.strip()
        if not text:
            return True
        if text.startswith(":"):
            return self.command(text[1:].strip().lower())
        try:
            if text.startswith("!"):
                violations = self.assistant.check(text[1:])
                self.emit({"type": "check", **check_result(violations)}, lambda: render_violations(violations))
            else:
                suggestion = self.session.suggest(text, segment=self.segment, channel=self.channel)
                self.emit({"type": "suggestion", **asdict(suggestion)}, lambda: render_suggestion(suggestion))
        except AssistError as error:
            message = str(error)
            self.emit({"type": "error", "code": error.code, "message": message},
                      lambda: err.print(f"[red]error:[/] {message}", highlight=False))
        return True

    def command(self, name: str) -> bool:
        if name in ("q", "quit", "exit"):
            return False
        if name == "new":
            self.session = self.assistant.session()
            self.call += 1
            self.emit({"type": "new_call", "call": self.call},
                      lambda: err.print(f"new call ({self.call}): earlier scenarios forgotten", style="dim",
                                        highlight=False))
        elif name in ("h", "help", "?"):
            err.print(SHELL_HELP, highlight=False, markup=False)
        else:
            message = f"unknown command ':{name}'; :help lists the commands"
            self.emit({"type": "error", "code": "usage", "message": message},
                      lambda: err.print(f"[red]error:[/] {message}", highlight=False))
        return True

    def emit(self, data: dict[str, Any], render: Callable[[], None]) -> None:
        if self.as_json:
            print_json_line(data)
        else:
            render()


def piped_lines() -> Iterator[str]:
    """Lines of standard input when it is not a terminal: no prompt, no line editing."""
    yield from sys.stdin


def prompted_lines(read: Callable[[str], str], history: ShellHistory | None) -> Iterator[str]:
    """Lines typed at the prompt until Ctrl-D; Ctrl-C abandons the line being typed."""
    while True:
        try:
            line = read(PROMPT)
        except EOFError:
            err.print()
            return
        except KeyboardInterrupt:
            err.print()
            continue
        if history is not None and line.strip():
            history.add(line.strip())
        yield line


def history_path() -> Path:
    """The shell's history file in the user's data folder (on Linux ``$XDG_DATA_HOME/assist``,
    by default ``~/.local/share/assist``)."""
    try:
        import platformdirs
    except ImportError:  # pragma: no cover - platformdirs is a dependency; the same folder on Linux
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(base) / "assist" / "shell_history"
    return platformdirs.user_data_path("assist") / "shell_history"


class ShellHistory:
    """``readline`` line editing with history kept across sessions.

    Lines are customer text, so each is redacted by shape (card, ID, phone numbers, e-mail) before
    it enters the history and the file; the file is the user's alone (mode 600). History that cannot
    be read or written costs the history, never the shell.
    """

    LENGTH = 1000

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            import readline
        except ImportError:  # no readline on this platform: plain input()
            self.readline: Any = None
            return
        self.readline = readline
        readline.set_auto_history(False)
        readline.set_history_length(self.LENGTH)
        with contextlib.suppress(OSError):
            readline.read_history_file(str(path))

    def add(self, line: str) -> None:
        from assist.text.redact import redact

        if self.readline is not None:
            self.readline.add_history(redact(line))

    def save(self) -> None:
        if self.readline is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.touch(mode=0o600, exist_ok=True)
            self.readline.write_history_file(str(self.path))
            self.path.chmod(0o600)
        except OSError as error:
            err.print(f"note: shell history not saved ({error.strerror})", style="dim", highlight=False)
