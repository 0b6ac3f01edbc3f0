"""The ``assist`` command. Thin: it parses arguments, calls the library and renders.

Each module holds one group of commands; importing them registers them on :data:`app`.
"""

from assist.cli import batch, calls, library, lookup, rules, serve
from assist.cli.app import app, main

__all__ = ["app", "batch", "calls", "library", "lookup", "main", "rules", "serve"]
