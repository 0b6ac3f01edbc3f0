"""The report folder: ``report.md``, ``report.html`` and the PNG charts, written atomically."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assist.atomic_write import SHARED_FILE_MODE, write_atomic
from assist.batch.gaps import GapReport
from assist.batch.html_report import HTML_FILE, render_html
from assist.batch.report import REPORT_FILE, render_charts, render_markdown
from assist.text.redact import redact


def write_report(
    summary: Mapping[str, Any], gaps: GapReport | None, folder: Path, *, top: int = 20, html: bool = True
) -> list[Path]:
    """Write ``report.md``, the PNG charts and (with ``html``) the self-contained
    ``report.html`` into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    charts = render_charts(summary, top)
    written = []
    markdown = redact(render_markdown(summary, gaps, top=top, charts=tuple(charts)))
    write_atomic(folder / REPORT_FILE, markdown.encode("utf-8"), mode=SHARED_FILE_MODE)
    written.append(folder / REPORT_FILE)
    for name, png in charts.items():
        write_atomic(folder / name, png, mode=SHARED_FILE_MODE)
        written.append(folder / name)
    if html:
        page = render_html(summary, gaps, charts, top=top)
        write_atomic(folder / HTML_FILE, page.encode("utf-8"), mode=SHARED_FILE_MODE)
        written.append(folder / HTML_FILE)
    return written
