"""Terminal rendering of suggestions and compliance findings."""

from __future__ import annotations

from typing import Any

from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from assist.cli.app import out


def render_suggestion(suggestion: Any) -> None:
    if suggestion.alerts:
        for alert in suggestion.alerts:
            out.print(Panel(alert, style="bold white on red", title="ALERT"))
    top = suggestion.top
    title = "abstained: ask a clarifying question" if suggestion.abstained else f"{top.scenario} · {top.script_id}"
    # Text, not markup: script text may hold square brackets.
    body = Text(suggestion.reply, overflow="fold")
    if top is not None and not suggestion.abstained and top.steps:
        body.append("\n\n" + "\n".join(f"{i}. {step}" for i, step in enumerate(top.steps, 1)))
    if suggestion.escalation:
        body.append("\n\nEscalation: ", style="bold")
        body.append(suggestion.escalation)
    out.print(Panel(body, title=title, subtitle=f"score {top.score:.2f}" if top else None))
    out.print(f"[dim]why: {suggestion.why}[/]", highlight=False)
    if len(suggestion.candidates) > 1:
        table = Table("#", "scenario", "script", "score", "matched example", box=None)
        for rank, candidate in enumerate(suggestion.candidates, 1):
            table.add_row(str(rank), candidate.scenario, candidate.script_id,
                          f"{candidate.score:.2f}", candidate.matched_example)
        out.print(table)


def render_violations(violations: list[Any]) -> None:
    if not violations:
        out.print("[green]no compliance issue found[/]")
        return
    for v in violations:
        style = "bold red" if v.severity == "block" else "yellow"
        out.print(f"[{style}]{v.severity.upper()}[/] 「{v.matched_text}」 at {v.span[0]}-{v.span[1]} "
                  f"· {v.category} · rule {v.rule_id}", highlight=False)
        out.print(f"  why: {v.explanation}", highlight=False)
        out.print(f"  reference: {v.reference}", highlight=False)
        out.print(f"  safer wording: {v.suggestion}", highlight=False)


