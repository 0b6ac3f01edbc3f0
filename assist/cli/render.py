"""Terminal rendering of suggestions and compliance findings.

Script text is mostly Chinese, which has no spaces to break at, and rich's own wrapping treats a
run of Chinese as one word: it breaks after a step's number and then folds the run wherever the
line ends, even inside a phone number ("9" / "6110"). :class:`Wrapped` breaks lines the way a
Chinese typesetter would: between any two Chinese characters, never inside a run of Latin letters
or digits, never before closing punctuation (，。）」) or after opening punctuation (（「), and it
measures by display cells (a Chinese character is two). A label ("1. ", "why: ") keeps its text on
its line, and continuation lines are indented under the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from assist.cli.app import out

# Wide scripts (CJK ideographs, kana, hangul, CJK and full-width punctuation): a line may break
# between any two of their characters.
_WIDE = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe10-\ufe1f\ufe30-\ufe4f\uff00-\uffef"
_UNITS = re.compile(rf"\s+|[^\s{_WIDE}]+|.", re.DOTALL)
_NO_BREAK_BEFORE = frozenset("，。、；：！？）」』】〉》〕”’…—·～%,.;:!?)]}")
_NO_BREAK_AFTER = frozenset("（「『【〈《〔“‘([{")


def break_units(text: str) -> list[str]:
    """``text`` cut where a line may break: runs of Latin letters and digits whole, wide characters
    one by one (closing punctuation kept with what precedes it, opening with what follows), and
    whitespace as a single space."""
    units: list[str] = []
    glue_next = False
    for piece in _UNITS.findall(text):
        if piece.isspace():
            units.append(" ")
            glue_next = False
            continue
        if units and units[-1] != " " and (glue_next or piece[0] in _NO_BREAK_BEFORE):
            units[-1] += piece
        else:
            units.append(piece)
        glue_next = piece[-1] in _NO_BREAK_AFTER
    return units


def wrap_cells(text: str, width: int) -> list[str]:
    """``text`` (one paragraph) in lines of at most ``width`` display cells. A unit wider than a
    whole line (a very long number or URL) is the only thing ever cut."""
    width = max(1, width)
    lines: list[str] = []
    line, used = "", 0
    for unit in break_units(text):
        size = cell_len(unit)
        if unit == " ":
            if line and used + 1 <= width:
                line, used = line + " ", used + 1
            continue
        if used + size <= width:
            line, used = line + unit, used + size
            continue
        if line.strip():
            lines.append(line.rstrip())
        line, used = "", 0
        while size > width:
            head = _fit(unit, width)
            lines.append(head)
            unit = unit[len(head):]
            size = cell_len(unit)
        line, used = unit, size
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _fit(text: str, width: int) -> str:
    """The longest prefix of ``text`` within ``width`` cells (at least one character)."""
    used = 0
    for index, char in enumerate(text):
        used += cell_len(char)
        if used > width:
            return text[: max(1, index)]
    return text


@dataclass(frozen=True)
class Wrapped:
    """Text wrapped by display width, after an optional label that keeps it company.

    ``indent`` spaces, then ``label``, then the text; continuation lines start under the text.
    Newlines in the text start new lines.
    """

    text: str
    style: str = ""
    label: str = ""
    label_style: str = ""
    indent: int = 0

    @property
    def _prefix(self) -> int:
        return self.indent + cell_len(self.label)

    def lines(self, width: int) -> list[str]:
        """The text's lines for a total width of ``width`` cells, without the label or indent."""
        room = max(1, width - self._prefix)
        return [line for paragraph in self.text.split("\n") for line in (wrap_cells(paragraph, room) or [""])]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        for number, line in enumerate(self.lines(options.max_width)):
            row = Text(no_wrap=True, overflow="fold")
            if number == 0:
                row.append(" " * self.indent)
                row.append(self.label, self.label_style)
            else:
                row.append(" " * self._prefix)
            row.append(line, self.style)
            yield row

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        units = [cell_len(unit) for unit in break_units(self.text) if unit != " "]
        longest = max(cell_len(p) for p in self.text.split("\n"))
        least = self._prefix + max(units, default=0)
        return Measurement(min(least, options.max_width), min(self._prefix + longest, options.max_width))


def suggestion_card(suggestion: Any) -> list[RenderableType]:
    """The renderables of a suggestion: alerts, the card (reply, steps, escalation), why, runners-up."""
    parts: list[RenderableType] = [
        Panel(Wrapped(alert), style="bold white on red", title="ALERT") for alert in suggestion.alerts
    ]
    top = suggestion.top
    title = "abstained: ask a clarifying question" if suggestion.abstained else f"{top.scenario} · {top.script_id}"
    if getattr(suggestion, "redirect", None):
        title = f"not the bank's service: redirect ({suggestion.redirect})"
    body: list[RenderableType] = [Wrapped(suggestion.reply)]
    if top is not None and not suggestion.abstained and top.steps:
        body.append(Text())
        digits = len(str(len(top.steps)))
        body += [Wrapped(step, label=f"{number}.".rjust(digits + 1) + " ")
                 for number, step in enumerate(top.steps, 1)]
    if suggestion.escalation:
        body.append(Text())
        body.append(Wrapped(suggestion.escalation, label="Escalation: ", label_style="bold"))
    subtitle = None if top is None else f"pinned by {top.pinned_by}" if top.pinned_by else f"score {top.score:.2f}"
    parts.append(Panel(Group(*body), title=title, subtitle=subtitle))
    parts.append(Wrapped(suggestion.why, label="why: ", style="dim", label_style="dim"))
    if len(suggestion.candidates) > 1:
        table = Table(box=None)
        table.add_column("#")
        table.add_column("scenario", no_wrap=True, overflow="fold")  # ids shrink last, never to an ellipsis
        table.add_column("script", no_wrap=True, overflow="fold")
        table.add_column("score")
        table.add_column("matched example")
        for rank, candidate in enumerate(suggestion.candidates, 1):
            table.add_row(str(rank), candidate.scenario, candidate.script_id,
                          "pinned" if candidate.pinned_by else f"{candidate.score:.2f}",
                          Wrapped(candidate.matched_example))
        parts.append(table)
    return parts


def violation_lines(violations: list[Any]) -> list[RenderableType]:
    """The renderables of a draft check: each finding with why, reference and safer wording."""
    if not violations:
        return [Text("no compliance issue found", style="green")]
    parts: list[RenderableType] = []
    for v in violations:
        style = "bold red" if v.severity == "block" else "yellow"
        parts.append(Wrapped(f"「{v.matched_text}」 at {v.span[0]}-{v.span[1]} · {v.category} · rule {v.rule_id}",
                             label=f"{v.severity.upper()} ", label_style=style))
        parts.append(Wrapped(v.explanation, label="why: ", indent=2))
        parts.append(Wrapped(v.reference, label="reference: ", indent=2))
        parts.append(Wrapped(v.suggestion, label="safer wording: ", indent=2))
    return parts


def render_suggestion(suggestion: Any, console: Console | None = None) -> None:
    for part in suggestion_card(suggestion):
        (console or out).print(part)


def render_violations(violations: list[Any], console: Console | None = None) -> None:
    for part in violation_lines(violations):
        (console or out).print(part)
