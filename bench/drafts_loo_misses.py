"""Where the leave-one-set-out misses sit, by what set each one aside: one row per set and per
category, then counts of the misses by mechanism (never the drafts' text).

Usage: ``python bench/drafts_loo_misses.py DIR NAME ...`` with the fold signals that
``bench/semantic_lexical.py grams DEV NAME ... --folds=DIR`` derived (one solve for every set):
each set NAME is scored by the pack without it and its own fold signal, as
``bench/drafts_leave_one_out.py`` scores it. The code under test reads these same signals, so a
change of a filter, a lexicon or the veto is measured here without retraining; an exemplar
change needs the folds derived again.

The clean drafts flagged are counted by signal (a rule or the semantic signal) and category.

A missed (draft, category) is tagged with every mechanism that applies, for the category:
``rule cancelled: KIND`` (a rule hit and what cancelled it), ``rule vetoed`` (a hit the draft veto
made an advisory), and for the signal's best unit of the category: ``short`` (no unit long enough
to score), ``far below`` / ``near`` (best score more / less than 0.1 under the threshold), or, at
or over it, ``scope`` (the unit is left to the scope engine), ``negation`` (a negated unit and the
category is not ``negation_ok``), ``draft gate`` (the whole draft below the threshold),
``unless`` (an ``unless`` phrase within reach), ``denied certainty``.
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

import numpy as np
from semantic_lexical import load, without

from assist.compliance import semantic
from assist.compliance.checks import read_labelled_drafts, score_drafts
from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import SEMANTIC_PREFIX, RulePack, _units, is_advisory, talk_only
from assist.compliance.semantic import SemanticSignal
from assist.encoders.base import STATIC_MODEL
from assist.encoders.registry import get_encoder
from assist.library.loader import SHIPPED_LIBRARY
from assist.text.normalise import normalise

NEAR = 0.1


def _kind(reason: str) -> str:
    return reason.split(" 「")[0].split(" '")[0] if not reason.startswith("unless") else "unless " + reason.split()[1]


def tags(pack: RulePack, signal: SemanticSignal, text: str, category: str) -> list[str]:
    """The mechanisms that set ``category`` aside in ``text`` (see the module's docstring)."""
    found: list[str] = []
    reading = pack._read(text, "agent")
    for hit, cancelled in pack._hits(reading, "agent", exhaustive=True):
        if hit.rule.category == category and cancelled is not None:
            found.append("rule cancelled: " + _kind(cancelled))
    checked = pack.check(text, audience="agent", semantic=signal)
    if any(is_advisory(v) and v.category == category for v in checked):
        found.append("rule vetoed")
    if category not in signal.thresholds:
        return [*found, "no threshold"]
    ctx = reading.ctx
    units = _units(ctx)
    if not units:
        return [*found, "short"]
    column = list(signal.weights.categories).index(category)
    threshold = signal.thresholds[category]
    scores = signal.scores([normalise(ctx.norm[s:e]) for s, e in units])[:, column]
    best = int(np.argmax(scores))
    if scores[best] < threshold:
        return [*found, "far below" if scores[best] < threshold - NEAR else "near"]
    scopes = [sc for index in range(len(ctx.sentences)) for sc in reading.scopes(index)]
    talk = reading.phrase_hits.get("scope.talk", [])
    cancels = pack._semantic_cancels(reading)
    whole = signal.scores([normalise(ctx.norm)])[0, column]
    over = [u for u, score in zip(units, scores, strict=True) if score >= threshold]
    why: set[str] = set()
    for s, e in over:
        inside = [sc for sc in scopes if s <= sc.trigger[0] < e]
        if talk_only(ctx.norm, (s, e), talk) or not all(sc.kind == "negation" for sc in inside) or any(
                sc.governs((s, e)) for sc in scopes if sc not in inside):
            kinds = sorted({sc.kind for sc in inside if sc.kind != "negation"} | {
                sc.kind for sc in scopes if sc not in inside and sc.governs((s, e))})
            why.add("scope " + "+".join(kinds or ["talk"]))
        elif inside and category not in signal.negation_ok:
            why.add("negation")
        elif whole < threshold:
            why.add("draft gate")
        elif category in pack._denied_certainty(reading, (s, e)):
            why.add("denied certainty")
        elif any(reading.within(reach, span, (s, e)) and not (beside and s <= span[0] and span[1] <= e)
                 for reach, span, beside in cancels.get(category, ())):
            why.add("unless")
        else:
            why.add("flagged?")
    return [*found, *sorted(why)]


def main(folder: Path, names: list[str]) -> None:
    pack = load_rule_pack(SHIPPED_LIBRARY)
    encoder = get_encoder(STATIC_MODEL)
    print("| set | found | clean flagged |")
    print("|---|---|---|")
    totals = [0, 0, 0, 0]
    support: collections.Counter[str] = collections.Counter()
    detected: collections.Counter[str] = collections.Counter()
    mechanisms: collections.Counter[str] = collections.Counter()
    by_category: collections.Counter[tuple[str, str]] = collections.Counter()
    clean_flags: collections.Counter[tuple[str, str]] = collections.Counter()
    single = 0
    for name in names:
        left = without(pack, name)
        signal = load(left, folder / f"{name}.npz", encoder)
        ex = left.exemplars  # the negation flags as the code under test reads them
        signal.negation_ok = semantic.negation_ok([e.category for e in ex], [e.violating for e in ex],
                                                  [left._holds_negation(e.text) for e in ex])
        drafts = read_labelled_drafts(SHIPPED_LIBRARY / "rules" / "drafts" / name)
        report = score_drafts(left, drafts, name, semantic=signal)
        print(f"| {name} | {report.detected_pairs}/{report.labelled_pairs} | "
              f"{report.flagged_clean}/{report.clean_drafts} |", flush=True)
        totals = [a + b for a, b in zip(totals, (report.detected_pairs, report.labelled_pairs,
                                                  report.flagged_clean, report.clean_drafts), strict=True)]
        for score in report.categories:
            support[score.category] += score.support
            detected[score.category] += score.detected
        for flag in report.false_flags:
            if flag.clean:
                clean_flags[("semantic" if flag.rule_id.startswith(SEMANTIC_PREFIX) else "rule",
                             flag.category)] += 1
        for miss in report.misses:
            single += len(list(left._read(miss.text, "agent").ctx.sentences)) == 1
            for tag in tags(left, signal, miss.text, miss.category):
                mechanisms[tag] += 1
                by_category[(tag, miss.category)] += 1
    print(f"| all | {totals[0]}/{totals[1]} = {totals[0] / totals[1]:.3f} | {totals[2]}/{totals[3]} |")
    print("\n| category | found |\n|---|---|")
    for category in sorted(support):
        if support[category]:
            print(f"| {category} | {detected[category]}/{support[category]} = "
                  f"{detected[category] / support[category]:.3f} |")
    print(f"\nmisses: {totals[1] - totals[0]}, in one-sentence drafts {single}")
    for tag, count in mechanisms.most_common():
        kinds = ", ".join(f"{c} {n}" for (t, c), n in by_category.most_common() if t == tag)
        print(f"- {tag}: {count} ({kinds})")
    print("\nclean flags (a draft flagged in two categories counts twice):")
    for which in ("rule", "semantic"):
        kinds = ", ".join(f"{c} {n}" for (w, c), n in clean_flags.most_common() if w == which)
        print(f"- {which}: {sum(n for (w, _), n in clean_flags.items() if w == which)} ({kinds})")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
