"""Quality inspection (质检) of whole call transcripts: ``assist inspect CALLS``.

Input is one turn a line (JSONL, CSV/TSV or Parquet, read like ``assist evaluate``'s
input): ``call_id``, ``turn``, ``speaker`` (``customer`` or ``agent``; 客户/坐席 too),
``text``, and optionally ``agent`` and ``team``. For each call, in turn order:

* **Coverage.** Customer turns are looked up (``suggest_many``): answered or abstained,
  and the scenario.
* **Compliance.** Agent turns get the rule pack's findings (:meth:`Assistant.check`),
  the same check ``assist check`` runs.
* **Script adherence.** For each answered customer turn followed by an agent turn, did
  the agent's next turn carry the suggested reply (empathy + solution preview)? The
  cosine similarity of the two texts in the assistant's model, against
  :data:`ADHERENCE_THRESHOLD`, chosen on a labelled sample in which adherent turns
  paraphrase the script (``eval/synthetic_calls/adherence_sample.jsonl``; see
  ``docs/batch.md``).

Per team and per agent: calls, findings per 100 calls, adherence rate; and the calls
to listen to first (block findings first, then warnings, then missed scripts).
Every text in the output is redacted. :class:`Inspection` is made of counts and
per-call rows, so inspections of parts of the input :meth:`Inspection.merge` into the
inspection of the whole, in any order (the Ray engine relies on it).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assist.atomic_write import SHARED_FILE_MODE, write_atomic
from assist.compliance.rules import is_advisory
from assist.encoders.threads import encode_on_one_thread
from assist.errors import InputError
from assist.lookup.assistant import Assistant
from assist.text.datafiles import BadLine, Utterance, UtteranceReader
from assist.text.normalise import normalise
from assist.text.redact import redact

ADHERENCE_THRESHOLD = 0.5834
"""Cosine similarity (default model) from which an agent's turn counts as carrying the
suggested script: the best-F1 cut on the labelled adherence sample (48 turns; F1 1.0, adherent
paraphrases from 0.619, off-script replies up to 0.548), by ``eval/synthetic_calls/measure.py threshold``."""
TURN_FIELDS = ("call_id", "turn", "speaker", "agent", "team")
CUSTOMER = frozenset({"customer", "client", "caller", "user", "客户", "顾客", "用户", "c"})
AGENT = frozenset({"agent", "staff", "csr", "坐席", "客服", "a"})
LISTEN_FIRST = 20
BATCH = 256


@dataclass(frozen=True)
class Turn:
    call_id: str
    turn: int
    speaker: str
    """``customer`` or ``agent``."""
    text: str
    agent: str = ""
    team: str = ""
    line: int = 0


@dataclass(frozen=True)
class Finding:
    turn: int
    rule_id: str
    severity: str
    category: str


@dataclass(frozen=True)
class CallResult:
    call_id: str
    agent: str
    team: str
    customer_turns: int
    covered_turns: int
    findings: tuple[Finding, ...]
    opportunities: int
    """Answered customer turns followed by an agent turn."""
    adherent: int
    missed_scripts: tuple[tuple[int, str, float], ...] = ()
    """(agent turn, suggested scenario, similarity) where the agent did not carry the script."""
    adherence: tuple[tuple[int, int, str, float, bool], ...] = ()
    """(customer turn, agent turn, scenario, similarity, adherent) of every opportunity."""

    @property
    def blocks(self) -> int:
        return sum(1 for f in self.findings if f.severity == "block")

    @property
    def priority(self) -> tuple[int, int, int, str]:
        """Listen first: most block findings, then warnings, then missed scripts."""
        return (-self.blocks, -(len(self.findings) - self.blocks), -(self.opportunities - self.adherent),
                self.call_id)


@dataclass
class Tally:
    calls: int = 0
    findings: int = 0
    blocks: int = 0
    opportunities: int = 0
    adherent: int = 0

    def add(self, result: CallResult) -> None:
        self.calls += 1
        self.findings += len(result.findings)
        self.blocks += result.blocks
        self.opportunities += result.opportunities
        self.adherent += result.adherent

    def merge(self, other: Tally) -> None:
        self.calls += other.calls
        self.findings += other.findings
        self.blocks += other.blocks
        self.opportunities += other.opportunities
        self.adherent += other.adherent

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "findings_per_100_calls": round(100 * self.findings / self.calls, 2) if self.calls else None,
            "block_findings_per_100_calls": round(100 * self.blocks / self.calls, 2) if self.calls else None,
            "adherence_rate": round(self.adherent / self.opportunities, 4) if self.opportunities else None,
            "opportunities": self.opportunities,
        }


@dataclass
class Inspection:
    """Mergeable result of inspecting calls."""

    calls: dict[str, CallResult] = field(default_factory=dict)
    turns: int = 0
    customer_turns: int = 0
    covered: int = 0
    rules: Counter[str] = field(default_factory=Counter)
    threshold: float = ADHERENCE_THRESHOLD

    def add(self, result: CallResult, turns: int) -> None:
        if result.call_id in self.calls:
            raise InputError(f"call {result.call_id} appears in two parts of the input; keep a call's turns together")
        self.calls[result.call_id] = result
        self.turns += turns
        self.customer_turns += result.customer_turns
        self.covered += result.covered_turns
        self.rules.update(f.rule_id for f in result.findings)

    def merge(self, other: Inspection) -> Inspection:
        for call_id, result in other.calls.items():
            if call_id in self.calls:
                raise InputError(f"call {call_id} appears in two parts of the input")
            self.calls[call_id] = result
        self.turns += other.turns
        self.customer_turns += other.customer_turns
        self.covered += other.covered
        self.rules.update(other.rules)
        return self

    def groups(self, key: str) -> dict[str, Tally]:
        tallies: dict[str, Tally] = defaultdict(Tally)
        for result in self.calls.values():
            tallies[getattr(result, key) or "(none)"].add(result)
        return dict(sorted(tallies.items()))

    def summary(self) -> dict[str, Any]:
        whole = Tally()
        for result in self.calls.values():
            whole.add(result)
        listen = sorted(self.calls.values(), key=lambda r: r.priority)[:LISTEN_FIRST]
        return {
            "calls": len(self.calls),
            "turns": self.turns,
            "customer_turns": self.customer_turns,
            "coverage": round(self.covered / self.customer_turns, 4) if self.customer_turns else None,
            "adherence_threshold": self.threshold,
            "overall": whole.as_dict(),
            "findings_by_rule": dict(sorted(self.rules.items(), key=lambda r: (-r[1], r[0]))),
            "teams": {k: v.as_dict() for k, v in self.groups("team").items()},
            "agents": {k: v.as_dict() for k, v in self.groups("agent").items()},
            "listen_first": [
                {"call_id": redact(r.call_id), "agent": redact(r.agent), "team": redact(r.team),
                 "block_findings": r.blocks, "findings": len(r.findings),
                 "missed_scripts": r.opportunities - r.adherent,
                 "rules": sorted({f.rule_id for f in r.findings})}
                for r in listen if r.findings or r.opportunities > r.adherent
            ],
        }


def speaker_of(value: str | None, line: int) -> str:
    role = (value or "").strip().lower()
    if role in CUSTOMER:
        return "customer"
    if role in AGENT:
        return "agent"
    raise InputError(f"line {line}: speaker {value!r} is neither customer nor agent (客户/坐席)")


def turns_of(items: Iterable[Utterance]) -> Iterable[Turn]:
    """Turns from rows read with ``fields=TURN_FIELDS``."""
    for item in items:
        call_id = item.get("call_id")
        if not call_id:
            raise InputError(f"line {item.line}: no call_id")
        try:
            number = int(item.get("turn") or "")
        except ValueError:
            raise InputError(f"line {item.line}: turn must be a whole number") from None
        yield Turn(call_id, number, speaker_of(item.get("speaker"), item.line), item.text,
                   item.get("agent") or "", item.get("team") or "", item.line)


def group_calls(turns: Iterable[Turn]) -> list[list[Turn]]:
    """Turns grouped by call (calls in order of first appearance), each in turn order."""
    calls: dict[str, list[Turn]] = {}
    for turn in turns:
        calls.setdefault(turn.call_id, []).append(turn)
    return [sorted(call, key=lambda t: (t.turn, t.line)) for call in calls.values()]


def similarities(assistant: Assistant, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """Cosine similarity of each (agent turn, suggested reply) pair in the assistant's model."""
    if not pairs:
        return np.zeros(0, dtype=np.float32)
    texts = [normalise(t) for pair in pairs for t in pair]
    vectors = np.asarray(encode_on_one_thread(assistant.encoder, texts), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms == 0, 1, norms)
    return np.asarray(np.einsum("ij,ij->i", unit[0::2], unit[1::2]), dtype=np.float32)


def inspect_calls(assistant: Assistant, calls: Sequence[Sequence[Turn]],
                  threshold: float = ADHERENCE_THRESHOLD) -> Inspection:
    """Inspect whole calls (each a list of its turns in order)."""
    inspection = Inspection(threshold=threshold)
    customer = [(c, i) for c, call in enumerate(calls) for i, t in enumerate(call) if t.speaker == "customer"]
    suggestions = []
    for start in range(0, len(customer), BATCH):
        chunk = customer[start : start + BATCH]
        suggestions.extend(assistant.suggest_many([calls[c][i].text for c, i in chunk], top_k=1))
    suggested = dict(zip(customer, suggestions, strict=True))
    pairs: list[tuple[str, str]] = []
    keys: list[tuple[int, int, int, str]] = []
    for c, call in enumerate(calls):
        for i in range(len(call)):
            suggestion = suggested.get((c, i))
            if suggestion is None or suggestion.abstained or suggestion.top is None:
                continue
            reply = next((j for j in range(i + 1, len(call)) if call[j].speaker == "agent"), None)
            if reply is None:
                continue
            pairs.append((call[reply].text, suggestion.top.reply))
            keys.append((c, i, reply, suggestion.top.scenario))
    scores = similarities(assistant, pairs)
    per_call: dict[int, list[tuple[int, int, str, float, bool]]] = defaultdict(list)
    for (c, i, reply, scenario), score in zip(keys, scores, strict=True):
        per_call[c].append((calls[c][i].turn, calls[c][reply].turn, scenario, round(float(score), 4),
                            bool(score >= threshold)))
    for c, call in enumerate(calls):
        findings = tuple(
            Finding(turn.turn, v.rule_id, v.severity, v.category)
            for turn in call if turn.speaker == "agent" for v in assistant.check(turn.text)
            if not is_advisory(v)  # a rule hit the semantic veto turned into advice is not a finding
        )
        asked = [suggested[(c, i)] for i, t in enumerate(call) if t.speaker == "customer"]
        adherence = tuple(per_call.get(c, []))
        first = call[0]
        agent = next((t.agent for t in call if t.agent), first.agent)
        team = next((t.team for t in call if t.team), first.team)
        inspection.add(CallResult(
            call_id=first.call_id, agent=agent, team=team, customer_turns=len(asked),
            covered_turns=sum(1 for s in asked if not s.abstained), findings=findings,
            opportunities=len(adherence), adherent=sum(1 for a in adherence if a[4]),
            missed_scripts=tuple((a[1], a[2], a[3]) for a in adherence if not a[4]), adherence=adherence,
        ), len(call))
    return inspection


def best_threshold(scores: Sequence[float], adherent: Sequence[bool]) -> tuple[float, float]:
    """The similarity cut with the best F1 for "adherent" on a labelled sample: the midpoint
    between the lowest score it accepts and the highest below it (ties: the lower cut)."""
    values = sorted(set(float(s) for s in scores))
    best = (0.0, -1.0)
    for index, cut in enumerate(values):
        tp = sum(1 for s, a in zip(scores, adherent, strict=True) if s >= cut and a)
        fp = sum(1 for s, a in zip(scores, adherent, strict=True) if s >= cut and not a)
        fn = sum(1 for s, a in zip(scores, adherent, strict=True) if s < cut and a)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best[1]:
            below = values[index - 1] if index else cut
            best = (round((cut + below) / 2, 4), f1)
    return best


def read_calls(path: Path, *, fmt: str | None = None, encoding: str = "utf-8",
               on_error: str = "stop") -> tuple[list[list[Turn]], list[BadLine]]:
    """Whole calls from a file of turns, and the lines skipped with ``on_error="skip"``."""
    reader = UtteranceReader(path, label_field=None, fmt=fmt, encoding=encoding,
                             on_error="skip" if on_error == "skip" else "stop", fields=TURN_FIELDS)
    calls = group_calls(turns_of(reader))
    return calls, list(reader.skipped)


def call_rows(inspection: Inspection) -> list[dict[str, Any]]:
    """Per-call results for JSON: ids, findings and adherence; no customer or agent text."""
    return [
        {"call_id": redact(r.call_id), "agent": redact(r.agent), "team": redact(r.team),
         "customer_turns": r.customer_turns, "covered_turns": r.covered_turns,
         "findings": [{"turn": f.turn, "rule_id": f.rule_id, "severity": f.severity, "category": f.category}
                      for f in r.findings],
         "adherence": [{"customer_turn": a[0], "agent_turn": a[1], "scenario": a[2], "similarity": a[3],
                        "adherent": a[4]} for a in r.adherence]}
        for r in sorted(inspection.calls.values(), key=lambda r: r.priority)
    ]


def write_inspection(summary: dict[str, Any], inspection: Inspection, folder: Path) -> list[Path]:
    """``inspection.json`` (summary and every call) and ``inspection.html`` in ``folder``."""
    from assist.batch.html_report import INSPECTION_HTML, render_inspection_html

    folder.mkdir(parents=True, exist_ok=True)
    data = {**summary, "call_results": call_rows(inspection)}
    write_atomic(folder / "inspection.json", json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"),
                 mode=SHARED_FILE_MODE)
    write_atomic(folder / INSPECTION_HTML, render_inspection_html(summary).encode("utf-8"), mode=SHARED_FILE_MODE)
    return [folder / "inspection.json", folder / INSPECTION_HTML]
