"""Labelled utterances as library examples: ``examples/*.jsonl`` beside ``scripts/``.

Each line is ``{"text", "scenario", ...}``, the format ``assist evaluate`` reads (other fields
such as ``lang``, ``kind`` and ``scam`` may be present; ``lang`` and an optional ``script`` are
used). A line joins the examples of one script of its scenario: the script its ``script`` field
names, else the scenario's first plain script (no segment, no channel) in the line's language
family (Chinese for ``zh-*`` and ``yue``), else the scenario's first script. ``out_of_scope``
lines join the out-of-scope set (:mod:`assist.library.out_of_scope`), by preference its neutral
redirects (:data:`NEUTRAL_REDIRECTS`), so an added line never answers with another service's
redirect. A text already among the script's examples, or repeated with the same scenario, is
skipped; the same text under two scenarios is an error.

Why: utterance sets written by outside writers, once measured, carry wording the library's
few hands did not write; joining them lifts ranking and abstention on the next unseen set
(docs/quality.md, "Safe answers").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from assist.errors import LibraryError
from assist.limits import MAX_TEXT_FIELD_CHARS
from assist.types import Script

OUT_OF_SCOPE = "out_of_scope"
NEUTRAL_REDIRECTS = ("chitchat", "everyday")
"""Out-of-scope script kinds (``out_of_scope.<kind>.<lang>``) whose redirect names no other service."""


@dataclass(frozen=True)
class LabelledLine:
    """One labelled utterance and where it was read (file label, 1-based line)."""

    text: str
    scenario: str
    lang: str | None
    script: str | None
    source: str
    line: int


def parse_lines(text: str, label: str, known: set[str], only: str | None = None) -> list[LabelledLine]:
    """The lines of one file's ``text`` (those of scenario ``only`` when given), each validated
    against the ``known`` scenarios; a bad line raises naming ``label``, its line and field."""
    parsed = (_parse(line, label, number, known, only) for number, line in enumerate(text.splitlines(), 1)
              if line.strip())
    return [item for item in parsed if item is not None]


def unique(lines: Iterable[LabelledLine]) -> list[LabelledLine]:
    """``lines`` with a text repeated under the same scenario kept once; the same text under two
    scenarios is an error naming both places."""
    seen: dict[str, LabelledLine] = {}
    for item in lines:
        first = seen.setdefault(item.text, item)
        if first.scenario != item.scenario:
            raise LibraryError(
                f"text labelled '{item.scenario}' here and '{first.scenario}' at {first.source}:{first.line}",
                file=item.source, line=item.line, field="scenario", fix="keep one label for the text",
            )
    return list(seen.values())


def _parse(line: str, label: str, number: int, known: set[str], only: str | None) -> LabelledLine | None:
    def fail(message: str, field: str | None, fix: str) -> LibraryError:
        return LibraryError(message, file=label, line=number, field=field, fix=fix)

    try:
        row = json.loads(line)
    except ValueError:
        raise fail("is not a JSON object", None, 'write one {"text": ..., "scenario": ...} object a line') from None
    if not isinstance(row, dict):
        raise fail("is not a JSON object", None, 'write one {"text": ..., "scenario": ...} object a line')
    if only is not None and row.get("scenario") != only:
        return None
    text = row.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT_FIELD_CHARS:
        raise fail(f"needs a non-empty text of at most {MAX_TEXT_FIELD_CHARS} characters", "text", "fix the text")
    scenario = row.get("scenario")
    if scenario not in known:
        raise fail(f"unknown scenario {scenario!r}", "scenario",
                   "use a scenario id of scenarios.yaml or out_of_scope")
    lang, script = row.get("lang"), row.get("script")
    return LabelledLine(text.strip(), str(scenario), lang if isinstance(lang, str) else None,
                        script if isinstance(script, str) else None, label, number)


def family(language: str | None) -> str | None:
    """``zh`` for every Chinese tag (``zh-Hans``, ``zh-Hant-TW``, ``yue``), else the primary subtag."""
    if not language:
        return None
    primary = language.split("-")[0].lower()
    return "zh" if primary in ("zh", "yue") else primary


def join_examples(scripts: Sequence[Script], lines: Iterable[LabelledLine]) -> tuple[Script, ...]:
    """``scripts`` with each line's text added to its target script's examples.

    A line's target depends only on its scenario, named script and language family, so it is
    chosen once per such key, and each target's texts are kept as one set: a thousand lines
    cost a thousand look-ups, not a scan of every script and of every example per line."""
    added: dict[str, list[str]] = {}
    targets: dict[tuple[str, str | None, str | None], Script] = {}
    known: dict[str, set[str]] = {}
    for item in lines:
        key = (item.scenario, item.script, family(item.lang))
        target = targets.get(key)
        if target is None:
            target = targets[key] = _target(scripts, item)
        texts = known.get(target.id)
        if texts is None:
            texts = known[target.id] = set(target.examples)
        if item.text not in texts:
            texts.add(item.text)
            added.setdefault(target.id, []).append(item.text)
    return tuple(replace(s, examples=s.examples + tuple(added[s.id])) if s.id in added else s for s in scripts)


def _target(scripts: Sequence[Script], item: LabelledLine) -> Script:
    fits = [s for s in scripts if s.scenario == item.scenario and s.status != "draft"]
    if item.script is not None:
        named = [s for s in fits if s.id == item.script]
        if not named:
            raise LibraryError(f"no script '{item.script}' of scenario '{item.scenario}'", file=item.source,
                               line=item.line, field="script", fix="name a script of the line's scenario")
        return named[0]
    if not fits:
        raise LibraryError(f"no script of scenario '{item.scenario}' to join", file=item.source, line=item.line,
                           field="scenario", fix="add a script for the scenario, or drop the line")
    same = [s for s in fits if family(s.language) == family(item.lang)] or fits
    plain = [s for s in same if s.segment is None and s.channel is None] or same
    neutral = [s for s in plain if any(f".{kind}." in s.id for kind in NEUTRAL_REDIRECTS)]
    return (neutral or plain)[0]
