"""``assist serve``: the console and API over HTTP, or JSON lines over stdio."""

from __future__ import annotations

from typing import Annotated

import typer

from assist.cli.app import LibraryOpt, ModelOpt, app


@app.command(epilog="Example: assist serve --port 8765   (then open http://127.0.0.1:8765/)")
def serve(
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8765,
    library: LibraryOpt = None,
    model: ModelOpt = None,
    token: Annotated[str | None, typer.Option(envvar="ASSIST_TOKEN", show_default=False,
                                              help="Bearer token every /v1 call must send.")] = None,
    stdio: Annotated[bool, typer.Option("--stdio", help="JSON lines on stdin/stdout instead of HTTP.")] = False,
    store: Annotated[str | None, typer.Option(envvar="ASSIST_STORE", show_default=False,
                                              help="Call store: sqlite:///PATH or postgresql://USER@HOST/DB "
                                                   "(default: SQLite in the user's data folder).")] = None,
) -> None:
    """The agent console and JSON API on http://HOST:PORT/ (or JSON lines with --stdio)."""
    from assist.server.http import run

    run(host=host, port=port, library=library, model=model, token=token, stdio=stdio, store=store)


