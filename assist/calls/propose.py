"""``assist feedback propose``: candidate examples for scenarios, from what agents chose on calls.

Two kinds of evidence make a candidate: a runner-up the agent chose over the top pick
(the customer's words belong to the chosen script's scenario), and an abstention the
agent resolved by choosing a script. Each candidate is the customer turn's text as
stored (already redacted; redacted again here), deduplicated by its normalised form
within a scenario and against the examples the library already has.

The output is a reviewable YAML file of drafts, each ``status: draft``, which
``assist review`` approves or rejects. Proposing again merges into the same file:
drafts already reviewed keep their status, new evidence adds to ``events``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assist.calls.store import CallStore
from assist.errors import InputError
from assist.library.loader import Library
from assist.text.normalise import normalise
from assist.text.redact import redact

DRAFTS_FILE = "drafts.yaml"
HEADER = (
    "# Candidate examples from agent feedback (assist feedback propose).\n"
    "# Review each: assist review DIR --library LIBRARY [--approve ID | --reject ID]\n"
)


@dataclass
class Draft:
    id: str
    status: str
    scenario: str
    script_id: str
    example: str
    reason: str
    events: int
    calls: int

    def to_yaml(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "scenario": self.scenario, "script_id": self.script_id,
                "example": self.example, "reason": self.reason, "events": self.events, "calls": self.calls}


def draft_id(scenario: str, example: str) -> str:
    return "d" + hashlib.sha256(f"{scenario}\n{normalise(example)}".encode()).hexdigest()[:10]


def candidates(store: CallStore, library: Library) -> list[Draft]:
    """Drafts from the store's feedback, deduplicated, skipping examples the library has."""
    known: set[tuple[str, str]] = {(s.scenario, normalise(e)) for s in library.scripts for e in s.examples}
    found: dict[str, Draft] = {}
    call_sets: dict[str, set[str]] = {}
    for event, turn in store.feedback():
        if not event.script_id or not event.scenario:
            continue
        if turn.abstained and event.action in ("used", "runner_up"):
            reason = "abstention_resolved"
        elif not turn.abstained and event.action == "runner_up" and event.scenario != turn.top_scenario:
            reason = "runner_up"
        else:
            continue
        example = redact(turn.text).strip()
        if not example or (event.scenario, normalise(example)) in known:
            continue
        key = draft_id(event.scenario, example)
        draft = found.get(key)
        if draft is None:
            draft = found[key] = Draft(key, "draft", event.scenario, event.script_id, example, reason, 0, 0)
            call_sets[key] = set()
        draft.events += 1
        call_sets[key].add(event.call_id)
        draft.calls = len(call_sets[key])
    return sorted(found.values(), key=lambda d: (-d.events, d.scenario, d.id))


def read_drafts(path: Path) -> list[Draft]:
    """The drafts in a proposals file; one clear error for a file that is not one."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InputError(f"{path}: cannot read the drafts file ({type(error).__name__}); "
                         "create one with: assist feedback propose --out DIR") from None
    items = data.get("drafts") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InputError(f"{path}: expected a top-level 'drafts:' list (made by assist feedback propose)")
    out = []
    for number, item in enumerate(items, 1):
        try:
            out.append(Draft(str(item["id"]), str(item["status"]), str(item["scenario"]), str(item["script_id"]),
                             str(item["example"]), str(item.get("reason", "")), int(item.get("events", 0)),
                             int(item.get("calls", 0))))
        except (KeyError, TypeError, ValueError):
            raise InputError(f"{path}: draft {number} lacks id, status, scenario, script_id or example") from None
    return out


def propose(store: CallStore, library: Library, out_dir: Path) -> tuple[Path, list[Draft]]:
    """Write (or merge into) ``out_dir/drafts.yaml``; the file and the drafts new this time."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / DRAFTS_FILE
    existing = read_drafts(path) if path.exists() else []
    by_id = {d.id: d for d in existing}
    fresh = []
    for draft in candidates(store, library):
        old = by_id.get(draft.id)
        if old is None:
            by_id[draft.id] = draft
            fresh.append(draft)
        else:
            old.events, old.calls = max(old.events, draft.events), max(old.calls, draft.calls)
    body = yaml.safe_dump({"drafts": [d.to_yaml() for d in by_id.values()]}, allow_unicode=True,
                          sort_keys=False, width=120)
    temporary = path.with_suffix(".yaml.tmp")
    temporary.write_text(HEADER + body, encoding="utf-8")
    temporary.replace(path)
    return path, fresh
