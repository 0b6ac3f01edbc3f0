"""``assist feedback report``: what agents did with the suggestions, from the call store.

Acceptance by script and by scenario (of the suggestions that got feedback, the share
used as is or edited), the most rejected scripts, runner-ups agents chose over the top
pick, and abstentions agents resolved into a scenario. Texts are not shown: the
report is counts over script and scenario ids.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from assist.calls.store import CallStore

ACCEPTED = ("used", "edited")


@dataclass(frozen=True)
class Acceptance:
    key: str
    shown: int
    with_feedback: int
    used: int
    edited: int
    rejected: int
    runner_up: int

    @property
    def rate(self) -> float | None:
        return None if self.with_feedback == 0 else round((self.used + self.edited) / self.with_feedback, 4)


@dataclass(frozen=True)
class FeedbackReport:
    suggestions: int
    events: int
    by_script: list[Acceptance]
    by_scenario: list[Acceptance]
    most_rejected: list[tuple[str, int]]
    runner_ups: list[tuple[str, str, int]] = field(default_factory=list)
    """(top script, chosen script, times)."""
    resolved_abstentions: list[tuple[str, int]] = field(default_factory=list)
    """(scenario the agent resolved an abstention into, times)."""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["by_script"] = [{**asdict(a), "rate": a.rate} for a in self.by_script]
        out["by_scenario"] = [{**asdict(a), "rate": a.rate} for a in self.by_scenario]
        out["most_rejected"] = [{"script_id": s, "rejected": n} for s, n in self.most_rejected]
        out["runner_ups"] = [{"top": t, "chosen": c, "times": n} for t, c, n in self.runner_ups]
        out["resolved_abstentions"] = [{"scenario": s, "times": n} for s, n in self.resolved_abstentions]
        return out


def feedback_report(store: CallStore, top: int = 10) -> FeedbackReport:
    shown_script: Counter[str] = Counter()
    shown_scenario: Counter[str] = Counter()
    for turn in store.turn_suggestions():
        if turn.top_script and not turn.abstained:
            shown_script[turn.top_script] += 1
            shown_scenario[turn.top_scenario or ""] += 1
    actions: dict[str, Counter[str]] = defaultdict(Counter)
    scenario_actions: dict[str, Counter[str]] = defaultdict(Counter)
    runner_ups: Counter[tuple[str, str]] = Counter()
    resolved: Counter[str] = Counter()
    events = store.feedback()
    for event, turn in events:
        if turn.abstained:
            if event.action in ("used", "runner_up") and event.scenario:
                resolved[event.scenario] += 1
            continue
        top_script = turn.top_script or ""
        actions[top_script][event.action] += 1
        scenario_actions[turn.top_scenario or ""][event.action] += 1
        if event.action == "runner_up" and event.script_id and event.script_id != top_script:
            runner_ups[(top_script, event.script_id)] += 1

    def table(shown: Counter[str], acted: dict[str, Counter[str]]) -> list[Acceptance]:
        keys = sorted(set(shown) | set(acted), key=lambda k: (-shown[k], k))
        return [Acceptance(k, shown[k], sum(acted[k].values()), acted[k]["used"], acted[k]["edited"],
                           acted[k]["rejected"], acted[k]["runner_up"]) for k in keys]

    rejected = Counter({k: c["rejected"] + c["runner_up"] for k, c in actions.items()
                        if c["rejected"] + c["runner_up"]})
    return FeedbackReport(
        suggestions=sum(shown_script.values()), events=len(events),
        by_script=table(shown_script, actions), by_scenario=table(shown_scenario, scenario_actions),
        most_rejected=rejected.most_common(top),
        runner_ups=[(t, c, n) for (t, c), n in runner_ups.most_common(top)],
        resolved_abstentions=resolved.most_common(top),
    )


def report_markdown(report: FeedbackReport) -> str:
    def rate(a: Acceptance) -> str:
        return "–" if a.rate is None else f"{a.rate:.0%}"

    lines = ["# Agent feedback", "",
             f"{report.suggestions} suggestions shown, {report.events} feedback events.", "",
             "## Acceptance by scenario", "",
             "| scenario | shown | with feedback | used | edited | rejected | runner-up | accepted |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {a.key} | {a.shown} | {a.with_feedback} | {a.used} | {a.edited} | {a.rejected} | "
              f"{a.runner_up} | {rate(a)} |" for a in report.by_scenario]
    lines += ["", "## Acceptance by script", "",
              "| script | shown | with feedback | used | edited | rejected | runner-up | accepted |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {a.key} | {a.shown} | {a.with_feedback} | {a.used} | {a.edited} | {a.rejected} | "
              f"{a.runner_up} | {rate(a)} |" for a in report.by_script]
    lines += ["", "## Most rejected scripts (rejected or passed over)", ""]
    lines += [f"- {s}: {n}" for s, n in report.most_rejected] or ["- none"]
    lines += ["", "## Runner-ups chosen over the top pick", ""]
    lines += [f"- {t} → {c}: {n}" for t, c, n in report.runner_ups] or ["- none"]
    lines += ["", "## Abstentions agents resolved", ""]
    lines += [f"- {s}: {n}" for s, n in report.resolved_abstentions] or ["- none"]
    return "\n".join(lines) + "\n"
