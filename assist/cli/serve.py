"""``assist serve``: the console and API over HTTP (N worker processes), or JSON lines over stdio."""

from __future__ import annotations

from typing import Annotated

import typer

from assist.cli.app import IndexOpt, LibraryOpt, ModelOpt, app


@app.command(epilog="Example: assist serve --port 8765   (then open http://127.0.0.1:8765/)")
def serve(
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8765,
    library: LibraryOpt = None,
    model: ModelOpt = None,
    index: IndexOpt = None,
    token: Annotated[str | None, typer.Option(envvar="ASSIST_TOKEN", show_default=False,
                                              help="Bearer token every /v1 call and /metrics must send.")] = None,
    stdio: Annotated[bool, typer.Option("--stdio", help="JSON lines on stdin/stdout instead of HTTP.")] = False,
    store: Annotated[str | None, typer.Option(envvar="ASSIST_STORE", show_default=False,
                                              help="Call store: sqlite:///PATH or postgresql://USER@HOST/DB "
                                                   "(default: SQLite in the user's data folder).")] = None,
    workers: Annotated[int, typer.Option(envvar="ASSIST_WORKERS", min=0, max=256,
                                         help="Worker processes sharing the port (0: one per core).")] = 0,
    admin_token: Annotated[str | None, typer.Option(
        envvar="ASSIST_ADMIN_TOKEN", show_default=False,
        help="Enables POST /v1/admin/reload for callers sending it in X-Assist-Admin.")] = None,
    json_logs: Annotated[bool, typer.Option("--json-logs", envvar="ASSIST_JSON_LOGS",
                                            help="Access and error logs as one JSON object per line.")] = False,
    rate_limit_agent: Annotated[int, typer.Option(
        envvar="ASSIST_RATE_LIMIT_AGENT", min=0,
        help="Requests per minute per agent (X-Agent-Id), across workers; 0: off.")] = 1200,
    rate_limit_client: Annotated[int, typer.Option(
        envvar="ASSIST_RATE_LIMIT_CLIENT", min=0,
        help="Requests per minute per token and address without X-Agent-Id (a CTI gateway); 0: off.")] = 60_000,
    batch_wait_ms: Annotated[float, typer.Option(
        envvar="ASSIST_BATCH_WAIT_MS", min=0.0, max=50.0,
        help="How long an idle worker waits to gather concurrent lookups into one batch.")] = 2.0,
    max_batch: Annotated[int, typer.Option(envvar="ASSIST_MAX_BATCH", min=1, max=256,
                                           help="Most lookups in one batch.")] = 64,
) -> None:
    """The agent console and JSON API on http://HOST:PORT/ (or JSON lines with --stdio).

    SIGHUP (or POST /v1/admin/reload) reloads a rebuilt library or index in every worker
    without failing a request. /v1/health: liveness; /v1/ready: the index is loaded;
    /metrics: Prometheus.
    """
    from assist.server.ratelimit import RateLimits
    from assist.server.workers import run

    run(host=host, port=port, library=library, model=model, token=token, stdio=stdio, index=index,
        workers=workers, admin_token=admin_token, json_logs=json_logs,
        rate_limits=RateLimits(rate_limit_agent, rate_limit_client), batch_wait_ms=batch_wait_ms,
        max_batch=max_batch, store=store)
