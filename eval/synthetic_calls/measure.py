"""Choose the adherence threshold on the labelled sample, then measure inspection on the synthetic calls.

    python eval/synthetic_calls/measure.py threshold     # best-F1 cut on adherence_sample.jsonl
    python eval/synthetic_calls/measure.py calls          # precision and recall of planted items

Uses the shipped library and the default model, as ``assist inspect`` does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from assist.batch.inspect import TURN_FIELDS, best_threshold, group_calls, inspect_calls, similarities, turns_of
from assist.lookup.assistant import Assistant
from assist.text.datafiles import UtteranceReader

HERE = Path(__file__).parent


def default_reply(assistant: Assistant, scenario: str) -> str:
    scripts = [s for s in assistant.library.active_scripts if s.scenario == scenario and s.language == "zh-Hans"]
    plain = [s for s in scripts if not s.segment and not s.channel] or scripts
    return plain[0].reply


def threshold(assistant: Assistant) -> None:
    rows = [json.loads(line) for line in (HERE / "adherence_sample.jsonl").read_text(encoding="utf-8").splitlines()]
    scores = similarities(assistant, [(r["agent_turn"], default_reply(assistant, r["scenario"])) for r in rows])
    cut, f1 = best_threshold([float(s) for s in scores], [r["adherent"] for r in rows])
    good = sorted(float(s) for s, r in zip(scores, rows, strict=True) if r["adherent"])
    bad = sorted(float(s) for s, r in zip(scores, rows, strict=True) if not r["adherent"])
    print(json.dumps({"threshold": cut, "f1": round(f1, 4), "adherent_min": round(good[0], 4),
                      "off_script_max": round(bad[-1], 4), "pairs": len(rows)}))


def calls(assistant: Assistant) -> None:
    path = HERE / "calls.jsonl"
    truth = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["speaker"] == "agent":
            truth[(row["call_id"], row["turn"])] = row
    reader = UtteranceReader(path, label_field=None, fields=TURN_FIELDS)
    inspection = inspect_calls(assistant, group_calls(turns_of(reader)))
    flagged = {(r.call_id, f.turn) for r in inspection.calls.values() for f in r.findings}
    planted = {key for key, row in truth.items() if row["truth_violation"]}
    tp = len(flagged & planted)
    by_category: dict[str, list[int]] = {}
    for key in planted:
        tally = by_category.setdefault(truth[key]["truth_violation"], [0, 0])
        tally[0] += key in flagged
        tally[1] += 1
    judged = [(truth[(r.call_id, agent_turn)]["truth_adherent"], adherent)
              for r in inspection.calls.values() for _, agent_turn, _, _, adherent in r.adherence]
    a_tp = sum(1 for t, p in judged if t and p)
    a_fp = sum(1 for t, p in judged if not t and p)
    a_fn = sum(1 for t, p in judged if t and not p)
    summary = inspection.summary()
    print(json.dumps({
        "calls": summary["calls"], "turns": summary["turns"], "coverage": summary["coverage"],
        "violations": {"planted": len(planted), "flagged_turns": len(flagged), "recall": round(tp / len(planted), 4),
                       "precision": round(tp / len(flagged), 4) if flagged else None,
                       "recall_by_category": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_category.items())}},
        "adherence": {"judged": len(judged), "planted_adherent": sum(1 for t, _ in judged if t),
                      "precision": round(a_tp / (a_tp + a_fp), 4) if a_tp + a_fp else None,
                      "recall": round(a_tp / (a_tp + a_fn), 4) if a_tp + a_fn else None,
                      "threshold": inspection.threshold},
        "heavy_agents_first": [row["agent"] for row in summary["listen_first"][:5]],
        "agents_by_findings": sorted(summary["agents"], key=lambda a: -summary["agents"][a]["findings_per_100_calls"])[:3],
    }, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    assistant = Assistant.load(log=lambda _: None)
    {"threshold": threshold, "calls": calls}[sys.argv[1]](assistant)
