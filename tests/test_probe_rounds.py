"""Every frozen probe file's figures in one table: a compliance probe file (tests/compliance_probes_*.jsonl)
or a typed fraud-pin probe file (tests/pin_probes_types_*.jsonl) a row, and one test a shape over the rows.

A compliance row asserts what the file holds (enough violating and clean drafts, its own categories only,
every language each way), what the rules alone find and flag on it, what they miss per category (or per
language), the clean drafts flagged for one of its own categories, and, under ``-m model``, what the rules
and the shipped semantic signal find and flag. A pin row asserts what the file holds (scams in progress and
lookalikes, every type and language), that no line is a near copy of a dev text, and per type the scams
left unpinned and the lookalikes pinned as fraud.

Each figure is a ``Bound`` (``at_least``, ``at_most``, ``exactly``, ``all_but``; ``percent=True`` for a share
of the total): a change in any count fails the row's test and shows the measured table. Who wrote each file,
when, and its figures before and after its round are in the docstring of the round's own module
(``module``), which keeps the round's hand-written examples; ``note`` says why a figure is what it is.

To add a probe round: append a row to COMPLIANCE or PINS (copy the nearest one), with the figures measured
on the file, and keep the round's example sentences in its own module.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assist.compliance.checks import evaluate_drafts
from assist.compliance.rules import AGENT_CATEGORIES, RulePack
from tests.overlap import near_pairs
from tests.probe_sets import (
    Bound,
    all_but,
    at_least,
    at_most,
    exactly,
    flagged,
    missed_and_false,
    missed_by_rules,
    pin_outcomes,
    read_rows,
    scored_with_signal,
    uncovered,
)
from tests.test_pins import dev_texts

HERE = Path(__file__).parent
LANGUAGES = frozenset({"zh-Hans", "zh-Hant", "yue", "en"})
LANGUAGES_TW_HK = frozenset({"zh-Hans", "zh-Hant-TW", "zh-Hant-HK", "yue", "en"})
PIN_LANGUAGES = frozenset({"zh-Hans", "zh-Hant-TW", "yue", "en"})


@dataclass(frozen=True)
class ProbeFile:
    file: str
    module: str
    """The round's own test module: the file's provenance and its hand-written examples."""
    note: str = field(default="", kw_only=True)
    """Why a figure is what it is."""

    @property
    def name(self) -> str:
        return self.file.removesuffix(".jsonl").removeprefix("compliance_probes_").removeprefix("pin_probes_")


@dataclass(frozen=True)
class ComplianceProbes(ProbeFile):
    """A labelled compliance probe file and what the shipped rules do on it."""

    categories: tuple[str, ...]
    languages: frozenset[str]
    rules: tuple[Bound, Bound] = field(kw_only=True)
    """The rules alone: (labelled pairs found, clean drafts flagged)."""
    violating: int = 0
    """At least this many violating drafts (and ``clean`` clean ones, ``each`` of each category alone)."""
    clean: int = 0
    each: int = 0
    single_label: bool = False
    """Every draft labelled with one category at most."""
    languages_each: bool = True
    """Every language among each category's violating drafts (False: a file written for one mechanism
    across categories, every language among its violating and its clean drafts)."""
    misses: dict[str, Bound] | Bound = field(default_factory=dict)
    """The rules alone: drafts labelled with the category alone in which they do not flag it (one bound:
    the same for every category)."""
    language_misses: Bound | None = None
    """The rules alone: violating drafts of each language with a labelled category not flagged."""
    own_clean_flags: int | None = None
    """The rules alone: at most this many clean drafts flagged for one of the file's own categories."""
    signal: tuple[Bound, Bound] | None = None
    """The rules and the shipped semantic signal (``-m model``): (pairs found, clean drafts flagged)."""
    signal_each: dict[str, Bound] | Bound = field(default_factory=dict)
    """The rules and the signal: drafts labelled with the category alone in which it is found (one bound:
    the same for every category)."""

    def each_category(self, bounds: dict[str, Bound] | Bound) -> dict[str, Bound]:
        return dict.fromkeys(self.categories, bounds) if isinstance(bounds, Bound) else bounds


@dataclass(frozen=True)
class PinProbes(ProbeFile):
    """A typed fraud-pin probe file (``type``, ``scam``, ``lang`` a line) and the customer rules' pins on it."""

    types: tuple[str, ...]
    """The types its scams in progress may have (and their lookalikes)."""
    languages: frozenset[str]
    scams: int
    """At least this many scams in progress and ``lookalikes`` lookalikes (among the lines ``written``)."""
    lookalikes: int
    lookalike_types: tuple[str, ...] = ()
    """Types that hold lookalikes only."""
    scams_each: dict[str, int] = field(default_factory=dict)
    lookalikes_each: dict[str, int] = field(default_factory=dict)
    written: str | None = None
    """Count only the lines with this ``written`` (None: every line)."""
    missed: dict[str, int] = field(default_factory=dict)
    """Scams in progress left unpinned per type, at most (0 where not named)."""
    false: dict[str, int] = field(default_factory=dict)
    """Fraud pins on lookalikes per type, at most (0 where not named)."""
    whole: tuple[int, int, int, int] | None = None
    """Exactly (scams pinned, scams, lookalikes pinned, lookalikes) over the whole file."""
    apart_from_dev: bool = True
    """No line within difflib 0.7 of a dev text."""


AFTER_R20 = ("after the twentieth round (the register exemplars, the parties families, drafts_v24 joined to "
             "the training): ")
"""Where a signal figure moved when the twentieth round retrained the signal."""
AFTER_R21 = ("after the twenty-first round (drafts_v25 and drafts_v27 joined to the training, the bound-word "
             "reading of 因为您): ")
"""Where a signal figure moved when the twenty-first round retrained the signal."""
AFTER_R22 = ("after the twenty-second round (drafts_v26 and drafts_v29 joined to the training, the draft gate's "
             "tolerance of 0.02): ")
"""Where a signal figure moved when the twenty-second round retrained the signal."""
AFTER_R22_PINS = ("after the twenty-second round (utterances_v22 and v25 joined to the scam signal's training, its "
                  "pin families): ")
"""Where a pin figure moved at the twenty-second round's end."""
AFTER_R22_READING = ("after the twenty-second round (principled_no cancels a skipped check's semantic flag only "
                     "beside it): ")
"""Where a signal figure moved with the twenty-second round's reading of the signal's flags (no retraining)."""
AFTER_R23 = ("after the twenty-third round (drafts_v28 and drafts_v31 joined to the training; ways forward, "
             "glosses and declined predictions named in the lexicons): ")
"""Where a signal figure moved when the twenty-third round retrained the signal."""
AFTER_R24 = "after the twenty-fourth round (drafts_v30 and drafts_v33 joined to the training): "
"""Where a signal figure moved when the twenty-fourth round retrained the signal."""
AFTER_R23_PINS = ("after the twenty-third round (utterances_v24 and v27 joined to the scam signal's training, a "
                  "completion threshold per script): ")
"""Where a pin figure moved at the twenty-third round's end."""
AFTER_R25 = "after the twenty-fifth round (drafts_v32 and drafts_v35 joined to the training): "
"""Where a figure with the signal moved at the twenty-fifth round's end."""
AFTER_R26 = "after the twenty-sixth round (drafts_v34 and drafts_v37 joined to the training): "
"""Where a signal figure moved when the twenty-sixth round retrained the signal."""
AFTER_R27 = "after the twenty-seventh round (drafts_v36 and drafts_v39 joined to the training): "
"""Where a signal figure moved when the twenty-seventh round retrained the signal."""
AFTER_R28 = "after the twenty-eighth round (drafts_v38 and drafts_v41 joined to the training): "
"""Where a signal figure moved when the twenty-ninth round's start retrained the signal."""
AFTER_R29 = "after the twenty-ninth round (drafts_v40 and drafts_v43 joined to the training): "
"""Where a signal figure moved when the thirtieth round's start retrained the signal."""
AFTER_R30 = "after the thirtieth round (drafts_v42 and drafts_v44 joined to the training): "
"""Where a signal figure moved when the thirty-first round's start retrained the signal."""
AFTER_R31 = "after the thirty-first round (drafts_v45 and drafts_v46 joined to the training): "
"""Where a signal figure moved when the thirty-second round's start retrained the signal."""
AFTER_R32 = "after the thirty-second round (drafts_v47 and drafts_v48 joined to the training): "
"""Where a signal figure moved when the thirty-third round's start retrained the signal (the same on the round's
start e5478ba and after its merges)."""
AFTER_R24_PINS = ("after the twenty-fourth round (utterances_v26 and v29 joined to the scam signal's training: its "
                  "completion thresholds moved, zh 0.552 -> 0.485, en 0.483 -> 0.775): ")
"""Where a pin figure moved at the twenty-fourth round's end."""
AFTER_R25_PINS = ("after the twenty-fifth round's reading of a part's actor and tense (scamfp35: more past "
                  "events cancel a pattern, so the scam signal's gated training rows moved): ")
"""Where a pin figure moved with the twenty-fifth round's false-banner work."""
AFTER_R26_PINS = ("after the twenty-sixth round's reading of a part's actor, purpose and paper (scamfp36: an "
                  "authority met on paper with no call or claim is its own process): ")
"""Where a pin figure moved with the twenty-sixth round's false-banner work."""
AFTER_R26_SIG = ("after the twenty-sixth round's squared-hinge step of the scam signal (scam37: the texts the first "
                 "fit puts beyond the margin weigh 100x less in a second, the gated non-scams kept; completion "
                 "thresholds zh 0.741 -> 0.781, en 0.682 -> 0.581): ")
"""Where a pin figure moved with the twenty-sixth round's scam-signal fit."""
AFTER_R25_JOIN = ("after the twenty-fifth round's end (utterances_v28 and v31 joined to the scam signal's training: "
                  "its completion thresholds moved, zh 0.485 -> 0.734, en 0.711 -> 0.679): ")
"""Where a pin figure moved at the twenty-fifth round's end."""
AFTER_R26_JOIN = ("after the twenty-sixth round's end (utterances_v30 and v33 joined to the scam signal's training: "
                  "its completion thresholds moved, zh 0.781 -> 0.743, en 0.581 -> 0.621): ")
"""Where a pin figure moved at the twenty-sixth round's end."""
AFTER_R27_SIG = ("after the twenty-seventh round's script weights of the scam signal (scam38: each script's texts "
                 "weighed by their share of the training; completion thresholds zh 0.743 -> 0.745, en 0.621 -> "
                 "0.574): ")
"""Where a pin figure moved with the twenty-seventh round's scam-signal fit."""
AFTER_R27_JOIN = ("after the twenty-seventh round's end (utterances_v32 and v35 joined to the scam signal's training: "
                  "its completion thresholds moved, zh 0.745 -> 0.732, en 0.574 -> 0.546): ")
"""Where a pin figure moved at the twenty-seventh round's end."""
AFTER_R28_JOIN = ("after the twenty-eighth round's end (utterances_v34 and v37 joined to the scam signal's training; "
                  "measured on main 9858a93 in the twenty-ninth round): ")
"""Where a pin figure moved when the twenty-eighth round's sets joined."""
AFTER_R29_REL = ("after the twenty-ninth round's relation of the one who asks (scam41: the demand bar for a stranger's "
                 "demand only, the demand veto and the veto of a pin the customer's own people ask for): ")
"""Where a pin figure moved with the twenty-ninth round's scam-signal bars and vetoes."""
AFTER_R29_JOIN = ("after the twenty-ninth round's end (utterances_v36 and v39 joined to the scam signal's training; "
                  "measured on main abd8d23's rules and code in the thirtieth round, scam42): ")
"""Where a pin figure moved when the twenty-ninth round's sets joined."""
AFTER_R30_JOIN = ("after the thirtieth round's end (utterances_v38 and v40 joined to the scam signal's training; "
                  "measured in the thirty-first round, scam43, whose readings leave the signal's gate and arrays as "
                  "main e526979's and move no line of this file read by the rules alone): ")
"""Where a pin figure moved when the thirtieth round's sets joined."""
AFTER_R31_JOIN = ("after the thirty-first round's end (utterances_v41 and v42 joined to the scam signal's training; "
                  "measured on main c5a7b4d in the thirty-second round): ")
"""Where a pin figure moved when the thirty-first round's sets joined."""
AFTER_R32_JOIN = ("after the thirty-second round's end (utterances_v43 and v44 joined to the scam signal's training; "
                  "measured on main e5478ba in the thirty-third round, and the same after its merges): ")
"""Where a pin figure moved when the thirty-second round's sets joined."""

COMPLIANCE = [
    ComplianceProbes(
        "compliance_probes_r14.jsonl", "test_compliance_probes.py", ("bare_refusal",), LANGUAGES,
        violating=40, clean=40, each=40, single_label=True,
        rules=(at_least(48), at_most(1)), language_misses=at_most(10, percent=True),
        note="before the change 23/51 found, 6/46 flagged"),
    ComplianceProbes(
        "compliance_probes_r15_access.jsonl", "test_compliance_probes_access.py",
        ("credential_request", "unsafe_transfer_instruction", "privacy_disclosure", "skip_verification"), LANGUAGES,
        violating=60, clean=60, each=15,
        rules=(at_least(68), at_most(5)), misses=at_most(15, percent=True), own_clean_flags=0,
        note="the clean lines flagged before the change were 5 (4 of them bare refusals): none more"),
    ComplianceProbes(
        "compliance_probes_r15_claims.jsonl", "test_compliance_probes_claims.py",
        ("jargon", "promise_guaranteed_return", "overpromise"), LANGUAGES, clean=60, each=20, single_label=True,
        rules=(at_least(68), at_most(2)), misses=at_most(10, percent=True)),
    ComplianceProbes(
        "compliance_probes_r15_refusal.jsonl", "test_compliance_probes_refusal.py",
        ("bare_refusal", "blame_shifting", "disparaging_customer"), LANGUAGES, violating=40, clean=40,
        rules=(at_least(48), exactly(0)), misses=at_most(1),
        signal=(at_least(50), at_most(2)), signal_each=at_least(85, percent=True),
        note="with the signal: issue 19's bar (each category >= 0.85, recall >= 0.95, clean flags <= 3 %) on "
             "this set, with the signal trained on exemplars_stance.yaml and the library's other exemplars; "
             + AFTER_R21 + "52/52 and 2/52 clean flagged (3.8 %, over the bar's 3 %)"),
    ComplianceProbes(
        "compliance_probes_r16_access.jsonl", "test_compliance_probes_r16_access.py",
        ("skip_verification", "privacy_disclosure", "credential_request", "overpromise"), LANGUAGES,
        clean=80, each=20, single_label=True,
        rules=(at_least(85), exactly(0)), misses=at_most(15, percent=True), own_clean_flags=0,
        signal=(at_least(85), at_most(10)), signal_each=at_least(85, percent=True),
        note="rules alone before the round: 61/88 found, 2/88 clean drafts flagged. With the signal: issue 19's "
             "recall bar (each category >= 0.85, all >= 0.95) and at most 3 of the 88 clean drafts flagged, "
             "with the signal trained on exemplars_checks.yaml beside the library's other exemplars and drafts. "
             "Before the round 80/88 found and 5/88 clean drafts flagged; after 86/88 (credential_request "
             "20/22, the others 22/22) and 3/88 (semantic flags on a check kept and on the caller's own "
             "withdrawal); with the round's stance exemplars and drafts_v20 joined to the training, 4/88 (a "
             "fourth, a semantic bare refusal on 「短信一直不来也有办法，换成…」: the alternative's wording is in no "
             "`unless:` lexicon); "
             + AFTER_R20 + "87/88 and 5/88; " + AFTER_R21 + "87/88 and 6/88; " + AFTER_R22_READING + "87/88 and 7/88 "
             "(a check done, \"Verification's complete\", read by the signal as a waiver: the principled_no "
             "phrase inside it no longer cancels the flag, and no check_kept phrase says a check is done); " + AFTER_R26
             + "87/88 and 8/88; " + AFTER_R27 + "87/88 and 9/88; " + AFTER_R28 + "87/88 and 10/88"),
    ComplianceProbes(
        "compliance_probes_r16_stance.jsonl", "test_compliance_probes_r16_stance.py",
        ("blame_shifting", "disparaging_customer", "bare_refusal"), LANGUAGES, violating=60, clean=60,
        rules=(at_least(69), exactly(0)), misses=at_most(1),
        signal=(at_least(95, percent=True), at_most(3)), signal_each=at_least(85, percent=True),
        note="with the signal: issue 19's bar on this set, with the signal trained on exemplars_voice.yaml and "
             "the library's other exemplars: recall >= 0.95 and each category >= 0.85 are met (71/73 after, "
             "61/73 before); clean flags are not (3/63 before and after, the signal reading genuine praise, "
             "「真厉害」 and \"nicely done\", and a larger font offered as disparaging), so no more than three"),
    ComplianceProbes(
        "compliance_probes_r17_duty.jsonl", "test_compliance_probes_r17_duty.py",
        ("skip_verification", "privacy_disclosure", "unsafe_transfer_instruction", "jargon"), LANGUAGES,
        clean=60, each=20, single_label=True,
        rules=(at_least(86), at_most(2)), misses=at_most(10, percent=True), own_clean_flags=1,
        signal=(at_least(81), at_most(8)),
        signal_each={"unsafe_transfer_instruction": at_least(18), "skip_verification": at_least(21),
                     "jargon": at_least(21), "privacy_disclosure": at_least(21)},
        note="rules alone before the round: 42/88 found, 4/60 clean drafts flagged; the one clean draft left "
             "flagged for the file's own categories is a term glossed after \"that's\" (\"EDD …, that's enhanced "
             "due diligence\"). With the signal trained on exemplars_duty.yaml, the library's other exemplars "
             "and drafts_v21 (the lead, after the round's merge and join): 82/88 found (unsafe transfer 18/22, "
             "skip 21/22, jargon 21/22, privacy 22/22) and 5/60 clean flagged, against 87/88 and 2/60 for the "
             "rules alone: the signal's draft-level veto demotes four true `transfer.unsafe_route` hits and adds "
             "three clean flags. Issue 19's bar is not met here; the figures measured are asserted, not the bar; "
             + AFTER_R20 + "81/88 (privacy 21/22) and 6/60; " + AFTER_R24 + "83/88 and 7/60; " + AFTER_R29
             + "85/88 (jargon 21/22, privacy 21/22) and 8/60"),
    ComplianceProbes(
        "compliance_probes_r17_stance.jsonl", "test_compliance_probes_r17_stance.py",
        ("disparaging_customer", "blame_shifting", "bare_refusal"), LANGUAGES, violating=60, clean=60,
        rules=(at_least(53), at_most(2)), own_clean_flags=0,
        misses={"disparaging_customer": at_most(5), "blame_shifting": at_most(3), "bare_refusal": at_most(3)},
        signal=(at_least(57), at_most(6)),
        signal_each={"disparaging_customer": at_least(30), "blame_shifting": at_least(13),
                     "bare_refusal": at_least(14)},
        note="rules alone: 53/64 found after (16/64 before); the two clean drafts still flagged are other "
             "categories' (skip_verification on \"close enough\", jargon on 請款), left to their own round. "
             "With the signal trained on exemplars_manner.yaml and the library's other exemplars: 58/64 found "
             "after (53/64 on main), disparaging 31/32, blame 13/16, refusal 14/16; clean 5/64 (10/64 on main, "
             "11/64 with main's full signal). Issue 19's bar is not met here: blame is 0.81 and three clean "
             "drafts are genuine praise read as mock praise (「您学得真快」, 「學得好快喎」, \"that's a great "
             "question\"), so the figures measured are asserted, not the bar; " + AFTER_R26 + "59/64 (disparaging "
             "30/32), clean 5/64; "
             + AFTER_R31 + "59/64, clean 6/64"),
    ComplianceProbes(
        "compliance_probes_r18_limits.jsonl", "test_compliance_probes_r18_limits.py",
        ("bare_refusal", "skip_verification", "blame_shifting"), LANGUAGES, violating=75, clean=60, each=25,
        rules=(at_least(72), at_most(2)),
        misses={"bare_refusal": at_most(1), "skip_verification": at_most(4), "blame_shifting": at_most(0)},
        signal=(at_least(74), at_most(4)),
        signal_each={"bare_refusal": at_least(25), "skip_verification": at_least(24),
                     "blame_shifting": at_least(25)},
        note="rules alone: 72/77 found after (52/77 before); clean 2/61 (4/61 before): the two left are a "
             "referral to an insurer with the number sent and an outside vendor's error with the bank's "
             "responsibility owned in other words, both blame_shifting's. With the signal trained on "
             "exemplars_limits.yaml and the library's other exemplars: 74/77 found (refusal 25/26, checks 24/25, "
             "blame 25/26), clean 1/61, the same as main's signal with this round's rules: on these probes the "
             "signal already read the kinds, and the new exemplars move no probe either way. The clean draft "
             "flagged is the vendor's error owned in other words (「但這是本行的責任」); the three missed are "
             "另尋管道 after 業務範圍 in one sentence, a husband's word read as privacy only, and 有意見同佢講 "
             "after a regulator (measured figures in docs/compliance.md); " + AFTER_R21 + "74/77, clean 2/61; "
             + AFTER_R22 + "75/77, clean 3/61; " + AFTER_R23 + "76/77, clean 4/61"),
    ComplianceProbes(
        "compliance_probes_r18_reach.jsonl", "test_compliance_probes_r18_reach.py",
        ("bare_refusal", "blame_shifting", "disparaging_customer", "jargon"), LANGUAGES, violating=40, clean=40,
        rules=(at_least(38), at_most(1)), own_clean_flags=0,
        signal=(at_least(38), at_most(1)), signal_each=all_but(2),
        note="rules alone on main (7bbce5c): 30/42 found, 1/44 clean flagged; after, with the declared reach, "
             "39/42 and 1/44 (the clean flag is transfer.held_account on a Cantonese refusal to close an account "
             "online, another category, left alone). With the shipped signal: on main 29/42 found, clean 1/44; "
             "after 39/42, clean 1/44 (the same held-account flag as the rules alone)"),
    ComplianceProbes(
        "compliance_probes_r19_clean.jsonl", "test_compliance_probes_r19_clean.py",
        tuple(AGENT_CATEGORIES), LANGUAGES_TW_HK, violating=50, clean=100,
        rules=(exactly(50, of=61), exactly(7, of=109)),
        note="rules alone on main (8f12c2c), before any change: 50/61 found, 7/109 clean drafts flagged "
             "(return.guaranteed twice on a denied or warned-of 保本/穩賺不賠, blame.not_ours twice on a shop "
             "named beside our own follow-up, jargon.unexplained on 退汇, refusal.bare on a refusal followed by "
             "its replacement, disparage.customer on 您没操作错). No rule, lexicon or reach was changed that "
             "round, so the figures after are the same"),
    ComplianceProbes(
        "compliance_probes_r19_stance.jsonl", "test_compliance_probes_r19_stance.py",
        ("disparaging_customer", "bare_refusal", "skip_verification"), LANGUAGES, violating=90, clean=60, each=30,
        rules=(exactly(97), exactly(1)),
        misses={"disparaging_customer": exactly(1), "bare_refusal": exactly(0), "skip_verification": exactly(0)},
        signal=(exactly(96), exactly(1)),
        signal_each={"disparaging_customer": exactly(32, of=34), "bare_refusal": exactly(32, of=32),
                     "skip_verification": exactly(32, of=32)},
        note="rules alone: 97/98 found after (57/98 before); clean 1/66 (3/66 before): the clean draft left is "
             "jargon's (贷后 unexplained), not one of these categories'. With the shipped signal (its exemplars "
             "unchanged that round): 94/98 found (disparaging 32/34, bare refusal 31/32, skipped checks 31/32), "
             "clean 0/66; 78/98 and 2/66 before. Three drafts the rules alone find are vetoed by the signal's "
             "whole-draft reading (閣下如果有留意…, 未能通過…深感抱歉, \"I recognise your voice, so we can jump "
             "straight in\"); 「早知你咁…」 is missed by both. After drafts_v23 joined the labelled drafts the "
             "signal was retrained: the same 94/98 and 0/66, with disparaging 31/34 and skipped checks 32/32; "
             + AFTER_R20 + "94/98 and 1/66 (bare refusal 32/32, skipped checks 31/32); " + AFTER_R21
             + "95/98 and 1/66 (skipped checks 32/32); " + AFTER_R22 + "95/98 and 0/66; " + AFTER_R23
             + "93/98 (disparaging 30/34, bare refusal 31/32) and 1/66; " + AFTER_R24 + "94/98 (disparaging 31/34) "
             "and 0/66; " + AFTER_R25 + "95/98 (disparaging 32/34) and 0/66; " + AFTER_R26
             + "93/98 (disparaging 30/34) and 1/66; " + AFTER_R27
             + "94/98 (disparaging 32/34, skipped checks 31/32) and 1/66; " + AFTER_R28
             + "95/98 (disparaging 33/34) and 1/66; " + AFTER_R29 + "94/98 (disparaging 32/34) and 1/66; "
             + AFTER_R30 + "95/98 (skipped checks 32/32) and 1/66; "
             + AFTER_R31 + "96/98 (bare refusal 32/32), clean 0/66; "
             + AFTER_R32 + "96/98, clean 1/66"),
    ComplianceProbes(
        "compliance_probes_r20_parties.jsonl", "test_compliance_probes_r20_parties.py",
        ("privacy_disclosure", "skip_verification"), LANGUAGES, violating=90, clean=60, each=45,
        rules=(exactly(92), exactly(2)),
        misses={"privacy_disclosure": exactly(1), "skip_verification": exactly(1)},
        signal=(exactly(92), exactly(6)),
        signal_each={"privacy_disclosure": exactly(48, of=48), "skip_verification": exactly(44, of=46)},
        note="rules alone: 92/94 found after (55/94 before); clean 2/66 (4/66 before): the two left are bare "
             "refusals (「一律不對外披露」 with its route in the next clause, 「問都唔得」), not these categories'. "
             "Missed by the rules: a claimed colleague named in one sentence with the facts in the next, and a "
             "missing code waved through inside an \"if\". With the shipped signal (its exemplars unchanged "
             "this round): 92/94 (privacy 48/48, skipped checks 44/46), clean 3/66 (the two refusals and a "
             "semantic jargon flag on 「尊尚級別」); 79/94 and 6/66 before. A signal trained with 80 fresh "
             "exemplars of these kinds found 91/94, 2/66 and lowered the r17 probes' figures; not shipped. After "
             "the round's merge (the register exemplars, drafts_v24 joined to the training): 90/94 (privacy "
             "47/48, skipped checks 43/46), clean 3/66; " + AFTER_R21 + "91/94 (skipped checks 44/46), clean 3/66; "
             + AFTER_R22 + "93/94 (privacy 48/48, skipped checks 45/46), clean 4/66; " + AFTER_R24
             + "92/94 (privacy 47/48), clean 4/66; " + AFTER_R28 + "92/94, clean 5/66; " + AFTER_R29
             + "92/94, clean 4/66; " + AFTER_R30 + "93/94 (privacy 48/48), clean 4/66; "
             + AFTER_R31 + "92/94 (skipped checks 44/46), clean 5/66; "
             + AFTER_R32 + "92/94, clean 6/66"),
    ComplianceProbes(
        "compliance_probes_r20_tone.jsonl", "test_compliance_probes_r20_tone.py",
        ("disparaging_customer", "bare_refusal", "blame_shifting"), LANGUAGES, violating=90, clean=60, each=30,
        rules=(exactly(77), exactly(2)),
        misses={"disparaging_customer": exactly(10), "bare_refusal": exactly(5), "blame_shifting": exactly(4)},
        signal=(exactly(84), exactly(3)),
        signal_each={"disparaging_customer": exactly(26, of=32), "bare_refusal": exactly(28, of=32),
                     "blame_shifting": exactly(30, of=32)},
        note="rules alone: 76/96 found after (47/96 before; misses 22, 14, 13 before), 77/96 after the "
             "twenty-first round (a blame with 因為你 no longer read as owning the problem: blame misses 5 -> 4); "
             "with the signal 83 -> 84/96 (blame 28 -> 29/32); clean 2/66 before and "
             "after (a telecom outage and a vendor's repair beside the bank's own step: blame's other_party read "
             "before the ownership). With the signal trained on exemplars_register.yaml too: 83/96 found, clean "
             "2/66 (a semantic blame flag on a vendor's repair the bank owns, and a telecom outage beside a voice "
             "code offered); 73/96 and 2/66 before. The draft veto discards four true rule hits (two "
             "disparaging, one refusal, one blame) whose whole draft the signal reads below W, one before; "
             + AFTER_R21 + "85/96 (bare refusal 29/32), clean 2/66; " + AFTER_R22
             + "85/96 (disparaging 28/32, bare refusal 28/32), clean 3/66; " + AFTER_R23
             + "87/96 (disparaging 29/32, blame 30/32), clean 4/66; " + AFTER_R24
             + "84/96 (disparaging 27/32, blame 29/32), clean 4/66; " + AFTER_R25
             + "85/96 (blame 30/32), clean 3/66; " + AFTER_R26 + "84/96 (blame 29/32), clean 3/66; " + AFTER_R27
             + "85/96 (bare refusal 29/32), clean 3/66; " + AFTER_R28 + "86/96 (blame 30/32), clean 4/66; "
             + AFTER_R29 + "86/96 (disparaging 28/32, bare refusal 28/32), clean 3/66; " + AFTER_R30
             + "84/96 (disparaging 27/32, blame 29/32), clean 3/66; "
             + AFTER_R31 + "84/96, clean 2/66; "
             + AFTER_R32 + "84/96 (disparaging 26/32, blame 30/32), clean 3/66"),
    ComplianceProbes(
        "compliance_probes_r21_windows.jsonl", "test_compliance_probes_r21_windows.py",
        ("blame_shifting", "disparaging_customer", "privacy_disclosure", "credential_request", "skip_verification",
         "unsafe_transfer_instruction"), LANGUAGES, violating=24, clean=24, languages_each=False,
        rules=(exactly(19), exactly(3)),
        misses={"blame_shifting": exactly(1), "privacy_disclosure": exactly(2), "credential_request": exactly(2),
                "skip_verification": exactly(0), "unsafe_transfer_instruction": exactly(0),
                "disparaging_customer": exactly(0)},
        signal=(exactly(26), exactly(2)),
        note="with the shipped signal: 24/33 found, clean 3/24 (21/33 and 3/24 on main 7a1177b); "
             + AFTER_R21 + "24/33, clean 2/24; " + AFTER_R22 + "25/33, clean 2/24; " + AFTER_R30
             + "26/33, clean 2/24. "
             "rules alone: 19/33 found after, 16/33 before (an unless phrase straddling a scope.pseudo "
             "phrase offers nothing: 为您 of 因为您); clean 3/24 before and after (a refusal read in "
             "「不能轉」 with its date in the next clause, \"You clearly\" read as a slight, a holding account "
             "told back as a scam in the next sentence). Misses: a party named in one sentence with the "
             "fact, or a sent code with the request, in the next"),
    ComplianceProbes(
        "compliance_probes_r22_loo.jsonl", "test_compliance_probes_r22_loo.py",
        ("skip_verification", "promise_guaranteed_return", "unsafe_transfer_instruction", "credential_request",
         "jargon", "disparaging_customer", "overpromise"), LANGUAGES, violating=30, clean=20, languages_each=False,
        single_label=True, rules=(exactly(25), exactly(0)), own_clean_flags=0,
        misses={"skip_verification": exactly(1), "promise_guaranteed_return": exactly(0),
                "unsafe_transfer_instruction": exactly(0), "credential_request": exactly(0), "jargon": exactly(1),
                "disparaging_customer": exactly(2), "overpromise": exactly(1)},
        signal=(exactly(29), exactly(1)),
        note="rules alone 22/30 before (ef80e11: 不如 read as a negation of the request after it, 3 misses), 25/30 "
             "after; clean 0/20 both. With the shipped signal 26/30 -> 29/30 (a check named by a principled_no "
             "phrase inside the flagged unit no longer cancels a skipped check: semantic_beside), clean 0 -> 1/20 "
             "(都冇所謂 no longer hides its clause as reported speech, and the other check offered there, a voice "
             "call, is no check_kept phrase); " + AFTER_R22 + "29/30, clean 2/20; " + AFTER_R23 + "29/30, clean 1/20; "
             + AFTER_R28 + "29/30, clean 2/20; "
             + AFTER_R32 + "29/30, clean 1/20"),
    ComplianceProbes(
        "compliance_probes_r32_loo.jsonl", "test_compliance_probes_r32_loo.py",
        ("overpromise", "skip_verification", "bare_refusal", "disparaging_customer", "credential_request",
         "unsafe_transfer_instruction", "privacy_disclosure", "promise_guaranteed_return", "jargon", "blame_shifting"),
        LANGUAGES, violating=30, clean=24, languages_each=False, single_label=True,
        rules=(exactly(28), exactly(0)), own_clean_flags=0,
        misses={"skip_verification": exactly(1), "bare_refusal": exactly(1), "overpromise": exactly(0),
                "disparaging_customer": exactly(0), "credential_request": exactly(0),
                "unsafe_transfer_instruction": exactly(0), "privacy_disclosure": exactly(0),
                "promise_guaranteed_return": exactly(0), "jargon": exactly(0), "blame_shifting": exactly(0)},
        signal=(exactly(29), exactly(0)),
        note="rules alone 28/30 before and after (b7e78cb), clean 1 -> 0/24 (an acronym glossed with \"is just "
             "the\"); with the shipped signal 29/30 both, clean 1 -> 0/24. Misses: a check treated as done on "
             "a voice's likeness, a Cantonese refusal closed with 冇得再傾"),
    ComplianceProbes(
        "compliance_probes_r33_weak.jsonl", "test_compliance_probes_r33_weak.py",
        ("skip_verification", "bare_refusal", "overpromise"), LANGUAGES, violating=24, clean=24,
        single_label=True, rules=(exactly(18), exactly(1)), own_clean_flags=0,
        misses={"skip_verification": exactly(2), "bare_refusal": exactly(1), "overpromise": exactly(3)},
        signal=(exactly(22), exactly(1)),
        note="rules alone 18/24 before (7bf1d11), clean 1/24 (an unexplained chargeback, jargon); with the shipped "
             "signal 22/24, clean 1/24 (no change was shipped this round). Misses: a check "
             "put off until later (en, yue), a refusal closed with a hang-up, an outcome promised as a date or a "
             "certainty with no listed promise word (zh-Hans, zh-Hant, en); " + AFTER_R24 + "23/24 with the signal "
             "(skipped checks 8/8, bare refusal 8/8, overpromise 7/8), clean 1/24; " + AFTER_R28 + "23/24, clean 2/24; "
             + AFTER_R32 + "22/24 (skipped checks 7/8, bare refusal 8/8, overpromise 7/8), clean 1/24"),
    ComplianceProbes(
        "compliance_probes_r35_weak.jsonl", "test_compliance_probes_r35_weak.py",
        ("skip_verification", "bare_refusal", "overpromise"), LANGUAGES, violating=24, clean=24,
        single_label=True, rules=(exactly(18), exactly(0)), own_clean_flags=0,
        misses={"skip_verification": exactly(3), "bare_refusal": exactly(1), "overpromise": exactly(2)},
        signal=(exactly(21), exactly(1)),
        note="rules alone 18/24 before and after (e1d3a8e), clean 0/24. Misses: a check put off until later "
             "(zh-Hans, yue), a daughter confirming for the holder (en), a refusal closed with thanks (en), a "
             "limit rise promised with 實 and an arrival promised as a day (yue, en). With the shipped signal 21/24, "
             "clean 2/24 (semantic skipped checks on a check the holder must still do with a spouse beside "
             "them, and on a check done first); the round's batch of exemplars for these kinds was measured by "
             "leave one set out and dropped, so the figures before are the figures after; " + AFTER_R26
             + "21/24, clean 0/24; " + AFTER_R27 + "21/24, clean 1/24; "
             + AFTER_R31 + "20/24, clean 1/24; "
             + AFTER_R32 + "21/24, clean 1/24"),
    ComplianceProbes(
        "compliance_probes_r36.jsonl", "test_compliance_probes_r36.py",
        ("disparaging_customer", "bare_refusal", "overpromise"), LANGUAGES_TW_HK, violating=30, clean=30,
        single_label=True, rules=(exactly(17), exactly(3)), own_clean_flags=1,
        misses={"disparaging_customer": exactly(4), "bare_refusal": exactly(2), "overpromise": exactly(7)},
        signal=(exactly(25), exactly(4)),
        note="rules alone 17/30 before and after (4128c7a), clean 3/30 (jargon 风控 twice, disparage.customer on "
             "the agent's own 'I explained it poorly'). Misses: sarcasm and condescension with no stock phrase "
             "(zh-Hant-HK, yue twice, en), a verdict closing the matter (zh-Hans, zh-Hant-TW), an outcome told as "
             "done, vouched for or 'as good as' approved (zh-Hans, zh-Hant-TW twice, zh-Hant-HK, yue, en twice). "
             "With the shipped signal 24/30 (bare refusal 9/10, overpromise 7/10, disparaging 8/10), clean 3/30; "
             "the round's allotment of the false-flag budget by violations counted left the shipped thresholds "
             "as they were, so the figures before are the figures after; " + AFTER_R28 + "24/30, clean 4/30; "
             + AFTER_R30 + "25/30, clean 3/30; "
             + AFTER_R31 + "24/30, clean 4/30; "
             + AFTER_R32 + "25/30 (overpromise 8/10), clean 4/30"),
    ComplianceProbes(
        "compliance_probes_r37.jsonl", "test_compliance_probes_r37.py",
        ("skip_verification", "promise_guaranteed_return", "blame_shifting", "credential_request",
         "unsafe_transfer_instruction"), LANGUAGES_TW_HK, violating=21, clean=21, single_label=True,
        languages_each=False, rules=(exactly(20), exactly(5)),
        misses={"skip_verification": exactly(1), "promise_guaranteed_return": exactly(0),
                "blame_shifting": exactly(0), "credential_request": exactly(0),
                "unsafe_transfer_instruction": exactly(0)},
        signal=(exactly(20), exactly(5)),
        note="rules alone 20/21 before (9ba355c), clean 10/21; after the round 20/21, clean 8/21 (a Hong Kong "
             "enquiry echoed, 閣下查詢可否…, and a term the customer named, 閣下所述之「…」, no longer flagged). "
             "The eight clean flags left are kinds whose mechanisms the round measured and dropped, because "
             "they moved no clean flag on the confirmation half of the joined sets: a yes/no question echoed "
             "(您刚才问…能不能, 你問…係咪; twice with a face check's 'look at the camera' read as remote control), "
             "a line quoted in a coaching note and corrected (four), the Wu negator 伐. Miss: an English check "
             "skipped right after the customer's question. With the shipped signal 20/21, clean 9/21 before "
             "and 7/21 after. Thirty-first round (compl44): rules alone clean 8/21 -> 5/21, three of the "
             "coaching notes' quoted lines (那句, 嗰句 as speech, confirmed on the halves). With the signal, "
             + AFTER_R30 + "20/21, clean 8/21 (main d885563); with the round's speech reading 20/21, clean 5/21"),
    ComplianceProbes(
        "compliance_probes_r38.jsonl", "test_compliance_probes_r38.py", ("jargon",), LANGUAGES_TW_HK,
        violating=9, clean=17, single_label=True, rules=(exactly(9), exactly(2)),
        misses={"jargon": exactly(0)}, own_clean_flags=1, signal=(exactly(9), exactly(0)),
        note="rules alone 9/9 before (99df75a), clean 3/17; after the round 9/9, clean 2/17 (a term followed "
             "by a bare 是 is defined by it). Left: a Cantonese term followed by a bare 係, which the round "
             "leaves out of `definition` (it is as often an emphatic 'is/does' and reads as 系 of 系统; with "
             "it a jargon pair on the confirmation half was lost), and two flags of other categories (a "
             "Cantonese 'can't be approved' without a way forward, a release after a check read as a "
             "skipped check). With the shipped signal 9/9, clean 1/17 before (the bare 是) and 0/17 after"),
    ComplianceProbes(
        "compliance_probes_r39.jsonl", "test_compliance_probes_r39.py",
        ("promise_guaranteed_return", "unsafe_transfer_instruction", "overpromise", "disparaging_customer",
         "skip_verification", "credential_request"), LANGUAGES_TW_HK, violating=12, clean=12, single_label=True,
        languages_each=False, rules=(exactly(11), exactly(6)), own_clean_flags=6,
        misses={"promise_guaranteed_return": exactly(0), "unsafe_transfer_instruction": exactly(1),
                "overpromise": exactly(0), "disparaging_customer": exactly(0), "skip_verification": exactly(0),
                "credential_request": exactly(0)},
        note="rules alone 11/12 before and after (a62d717; the round kept no mechanism), clean 8/12: 并无 and 從無 "
             "are no negations, a coaching note's quoted line (那句, 嗰句) reads as the agent's own twice, the "
             "customer's wish or question named back (您想…, 您剛剛問…, 你話想…) three times, a third party's "
             "if-clause once. Miss: a fee asked before a limit is restored, with no transfer word the rules "
             "know. Each mechanism that cleared some of these was measured and dropped: it lowered no clean "
             "flag of the confirmation half (docs/compliance.md, twenty-eighth round). Thirty-first round "
             "(compl44): clean 8/12 -> 6/12, the two coaching notes' quoted lines (那句, 嗰句 as speech, "
             "confirmed on the halves of that round)"),
    ComplianceProbes(
        "compliance_probes_r40.jsonl", "test_compliance_probes_r40.py", ("bare_refusal", "disparaging_customer"),
        LANGUAGES_TW_HK, violating=12, clean=16, single_label=True, rules=(exactly(12), exactly(0)),
        misses={"bare_refusal": exactly(0), "disparaging_customer": exactly(0)}, own_clean_flags=0,
        note="rules alone 0/12 before (a62d717), clean 0/16; after the round 12/12, clean 0/16. Two lookalikes "
             "were flagged by the round's first readings and are kept clean by its guards: a bank's 'we will "
             "not look at your password' (不会…密码, a warning) and 'not your own error' (不是您本人…失误). "
             "Not scored with the shipped signal: the round retrained nothing and no index was built"),
    ComplianceProbes(
        "compliance_probes_r41.jsonl", "test_compliance_probes_r41.py",
        ("skip_verification", "bare_refusal", "privacy_disclosure", "disparaging_customer",
         "promise_guaranteed_return"), LANGUAGES_TW_HK, violating=11, clean=16, single_label=True,
        languages_each=False, rules=(exactly(11), exactly(2)), own_clean_flags=2,
        misses={"skip_verification": exactly(0), "bare_refusal": exactly(0), "privacy_disclosure": exactly(0),
                "disparaging_customer": exactly(0), "promise_guaranteed_return": exactly(0)},
        signal=(exactly(11), exactly(2)),
        note="rules alone 4/11 before (9858a93), clean 8/16; after the round 11/11, clean 2/16. The two clean "
             "flags left are lookalikes of families measured and dropped, since they lowered no clean flag of "
             "the confirmation half: the agent's own 'if I said it was a sure win, that would be lying' and a "
             "customer's own payment to a relative. With the shipped signal 7/11, clean 4/16 before and 11/11, "
             "2/16 after"),
    ComplianceProbes(
        "compliance_probes_r42.jsonl", "test_compliance_probes_r42.py", ("disparaging_customer",), LANGUAGES_TW_HK,
        violating=13, clean=11, single_label=True, rules=(exactly(13), exactly(0)),
        misses={"disparaging_customer": exactly(0)}, own_clean_flags=0,
        note="rules alone 1/13 before (abd8d23), clean 1/11 (an error said not to be the customer's own, "
             "并非您自己…失误, read as the customer's fault); after the round 13/13, clean 0/11: the customer's "
             "age with a failing put down to it, the customer's own act named as the harm's cause, and turning "
             "to the bank only now, each composed, and 不是您自己/并非您自己 clearing the customer"),
    ComplianceProbes(
        "compliance_probes_r44.jsonl", "test_compliance_probes_r44.py",
        ("unsafe_transfer_instruction", "promise_guaranteed_return"), LANGUAGES_TW_HK,
        violating=10, clean=10, single_label=True, rules=(exactly(10), exactly(0)), own_clean_flags=0,
        misses={"unsafe_transfer_instruction": exactly(0), "promise_guaranteed_return": exactly(0)},
        note="rules alone 10/10 before (e526979), clean 5/10 (a video check read as a remote tool, a coach's "
             "那句“…” and 'that line' read as the agent's own promise); after the round 10/10, clean 1/10: "
             "那句/嗰句/'that line' as speech. The helper's bank_video unless (0/10) was taken out at the merge: "
             "it also cleared a screen share asked for during a video check; the English video check by call "
             "stays flagged. The violating twins (a video call to see the screen; 这句, 'this line' bringing in "
             "the agent's own promise) stay flagged. Thirty-second round (compl45): 10/10, clean 0/10, the "
             "English video check by call passing (a video call is a remote tool only with the screen watched)"),
    ComplianceProbes(
        "compliance_probes_r43.jsonl", "test_compliance_probes_r43.py", ("blame_shifting",), LANGUAGES_TW_HK,
        violating=12, clean=11, single_label=True, rules=(exactly(12), exactly(1)),
        misses={"blame_shifting": exactly(0)}, own_clean_flags=1,
        note="rules alone 2/12 before (e526979), clean 1/11; after the round 12/12, clean 1/11: a party or a "
             "fault named beside the bank's own part disowned, a help offer after it, composed "
             "(blame.disowned), and weather with nobody able to help it. The clean flag left, on main as "
             "after, is blame.not_ours reading an English fraud warning's 'it's not us' as blame; clearing it "
             "with the warning's words lost a confirmation blame pair"),
    ComplianceProbes(
        "compliance_probes_r45.jsonl", "test_compliance_probes_r45.py",
        ("unsafe_transfer_instruction", "blame_shifting"), LANGUAGES_TW_HK,
        violating=10, clean=8, single_label=True, languages_each=False, rules=(exactly(7), exactly(0)),
        own_clean_flags=0, misses={"unsafe_transfer_instruction": exactly(0), "blame_shifting": exactly(3)},
        note="rules alone 6/10 before (c5a7b4d), clean 6/8 (the bank's video check by call read as a remote "
             "tool, a video call said to be fakeable); after the round 10/10, clean 0/8: a video call is a "
             "remote tool only with the screen or steps watched through it, a call back to the other party on "
             "a number the customer holds marks a fraud warning, and a negation inside a subject (没寄到是…) "
             "ends at the copula. The violating twins (a video call to watch the transfer; 'ring me back on the "
             "number you already have' in a scam line) stay flagged. The copula reading reverted by the lead (it "
             "read a clean line that owns the fault, 这不是系统问题，是我们操作失误, as blame): 7/10, the three "
             "blame lines of a negated harm before 是 missed again, clean 0/8"),
    ComplianceProbes(
        "compliance_probes_r46.jsonl", "test_compliance_probes_r46.py",
        ("blame_shifting", "credential_request", "promise_guaranteed_return", "unsafe_transfer_instruction"),
        LANGUAGES_TW_HK, violating=20, clean=13, single_label=True, languages_each=False,
        rules=(exactly(20), exactly(3)), own_clean_flags=3, misses=exactly(0),
        note="rules alone 17/20 before (e5478ba), clean 10/13: a call, message, number or site said not to be "
             "the bank's (并非本行所发/致电/网站) read as blame.not_ours, someone else's sure return judged a "
             "likely scam (很像诈骗, 聽落好似騙案) read as the agent's promise, and three violations cleared by "
             "a verdict negated (不是骗局, 唔似呃人) or asked (像是诈骗？). After the round 20/20, clean 0/13: "
             "scope.pseudo holds the channel words after 并非本行 and the negated and conceded verdicts, "
             "scope.verdict the hedged ones, and a verdict asked opens no scope. The hedged verdicts reverted "
             "by the lead (像骗局 is also a comparison: 保证年化8%，不会像骗局那样亏 passed): 20/20, clean 3/13, "
             "the three hedged lookalikes flagged again"),
]

R13_TYPES = ("task", "investment", "loan_fee", "refund_cs", "police", "credit_repair", "game_trade", "romance",
             "boss_acq", "fake_purchase", "remote", "otp", "safe_account", "sim_swap")
R14_TYPES = ("toll_page", "relative_new_contact", "new_phone", "video_warrant", "customs_courier", "refund_comp",
             "task", "loan_fee", "invest_crypto", "remote", "bank_security")
R15_TYPES = ("regulator_credit", "credit_repair", "boss_chat", "shop_refund", "sim_swap", "crypto_kiosk",
             "carry_forward")
R20_SCAM_TYPES = ("loan_fee", "prize_fee", "parcel_fee", "refund_cs", "task", "job_deposit", "authority", "invest",
                  "romance", "relative", "boss", "remote", "verify", "crypto_atm", "courier_cash")
R20_LOOKALIKE_TYPES = ("relative_real", "boss_real", "police_report", "courier_real", "app_update", "debt_real",
                       "charity", "past", "bank_check", "real_fee", "real_invest", "real_job", "real_crypto",
                       "real_gold", "real_cash", "real_remote", "real_romance", "real_authority", "real_verify",
                       "real_refund")
R21_SCAM_TYPES = ("task_deposit", "watched_now", "coached_atm", "relative_new", "courier_link", "urgent_limit")
R21_LOOKALIKE_TYPES = ("platform_real", "family_real", "atm_help", "new_number_real", "parcel_real", "limit_real")
R22_SCAM_TYPES = ("watched_now", "coached_now", "urgent_limit", "family_ask")
R22_LOOKALIKE_TYPES = ("relative_real", "coached_real", "limit_real", "family_real")
R23_SCAM_TYPES = ("reported_ask", "keep_line", "gift_cards", "new_account")
R23_LOOKALIKE_TYPES = ("reported_real", "line_real", "cards_real", "account_real")
R24_SCAM_TYPES = ("relayed_ask", "walked_through", "deadline", "money_forms")
R24_LOOKALIKE_TYPES = ("callback_real", "relative_real", "invest_real", "deadline_real")
R25_SCAM_TYPES = ("relayed_now", "stranger_waiting", "scheme_unlock", "hushed_errand")
R25_LOOKALIKE_TYPES = ("relayed_legit", "waiting_legit", "platform_legit", "errand_legit")
R25FP_SCAM_TYPES = ("kin_now", "own_call_now", "past_again", "check_now")
R25FP_LOOKALIKE_TYPES = ("kin_legit", "own_call_legit", "past_over", "check_legit")
R26FP_SCAM_TYPES = ("inst_now", "real_now", "kin_scam", "courier_now")
R26FP_LOOKALIKE_TYPES = ("inst_legit", "real_check", "kin_real", "courier_legit")
R26SIG_SCAM_TYPES = ("hint_transfer", "hint_fee", "hint_code", "hint_cash")
R26SIG_LOOKALIKE_TYPES = ("hint_over", "fee_real", "code_check", "cash_real")
R27_SCAM_TYPES = ("phrasal_now", "fee_alias_now", "remote_now", "relay_now")
R27_LOOKALIKE_TYPES = ("phrasal_own", "fee_alias_real", "remote_over", "relay_real")
R28_SCAM_TYPES = ("unlock_now", "object_now", "party_now", "offplat_now")
R28_LOOKALIKE_TYPES = ("unlock_real", "object_real", "party_real", "offplat_real")
R29REL_SCAM_TYPES = ("stranger_now", "kin_claimed")
R29REL_LOOKALIKE_TYPES = ("own_now", "kin_real")
R30TENSE_SCAM_TYPES = ("past_live", "check_live")
R30TENSE_LOOKALIKE_TYPES = ("past_told", "check_ask")
R31REFUSED_SCAM_TYPES = ("acting_now",)
R31REFUSED_LOOKALIKE_TYPES = ("refused_or_lost",)
R32PROCESS_SCAM_TYPES = ("acting_now",)
R32PROCESS_LOOKALIKE_TYPES = ("asks_process",)
R32CARD_SCAM_TYPES = ("card_now",)
R32CARD_LOOKALIKE_TYPES = ("card_own",)
R33PAST_SCAM_TYPES = ("textbook_now",)
R33PAST_LOOKALIKE_TYPES = ("past_or_own",)
R27SIG_SCAM_TYPES = ("en_half", "zh_half")
R27SIG_LOOKALIKE_TYPES = ("en_real", "zh_real")
R18_TYPES = ("impersonation", "safe_account", "remote", "code", "invest", "romance", "loan_fee", "refund", "task",
             "relative", "toll_parcel", "takeover", "boss", "platform_cs", "debt_collect", "ritual")
"""The fraud types of rounds 18 and 19."""

PINS = [
    PinProbes(
        "pin_probes_types_r13.jsonl", "test_pin_types.py", R13_TYPES, PIN_LANGUAGES, scams=70, lookalikes=70,
        apart_from_dev=False,
        note="after the round every type 5/5 pinned (before: investment, loan_fee, boss_acq 4/5), no false banner "
             "(before: none either)"),
    PinProbes(
        "pin_probes_types_r14.jsonl", "test_pin_types.py", R14_TYPES, PIN_LANGUAGES, scams=40, lookalikes=40,
        apart_from_dev=False,
        note="after the round no scam unpinned (before: toll_page 3, new_phone 1) and no false banner (before: "
             "video_warrant 1, customs_courier 1)"),
    PinProbes(
        "pin_probes_types_r15.jsonl", "test_pin_types_r15.py", (*R15_TYPES, "tense", "general"), LANGUAGES_TW_HK,
        scams=40, lookalikes=80, scams_each=dict.fromkeys(R15_TYPES, 2), lookalikes_each=dict.fromkeys(R15_TYPES, 2),
        false={"regulator_credit": 1},
        note="after the round no scam unpinned (before: credit_repair 1, tense 2) and no false banner (before: "
             "regulator_credit 1, sim_swap 1 on the reworded line, crypto_kiosk 1); after the twenty-first round "
             "(utterances_v21 and v23 joined to the library and the scam signal's training), one regulator_credit "
             "lookalike raises a false banner again (cause not examined, nothing tuned)"),
    PinProbes(
        "pin_probes_types_r16.jsonl", "test_pin_types_r16.py",
        ("police", "customs_courier", "impersonation", "safe_account", "remote", "code", "invest_crypto", "romance",
         "loan_fee", "refund_shop", "task", "relative", "fake_page", "sim_swap", "crypto_kiosk", "boss", "frozen",
         "prize", "utility", "tech_support", "charity", "rental", "general"), LANGUAGES_TW_HK,
        scams=60, lookalikes=100,
        lookalike_types=("family", "own", "past", "check", "callback", "limit_fee", "carry_forward"),
        scams_each=dict.fromkeys(
            ("police", "customs_courier", "impersonation", "safe_account", "remote", "code", "invest_crypto",
             "romance", "loan_fee", "refund_shop", "task", "relative", "fake_page", "sim_swap", "crypto_kiosk",
             "boss", "frozen", "prize", "utility", "tech_support", "charity", "rental", "general"), 2),
        missed={"safe_account": 1},
        note="after the round no scam unpinned (before, on the lines written first: task, fake_page, boss, rental "
             "and general 1 each) and no false banner (before: callback 1, police 1, carry_forward 2); "
             + AFTER_R26_JOIN + "a safe_account scam the signal had completed left unpinned"),
    PinProbes(
        "pin_probes_types_r17.jsonl", "test_pin_types_r17.py",
        ("takeover", "task", "ipo", "ritual", "payverify", "relative_video", "debt_collect", "customs_parcel",
         "refund", "loan_deposit", "recontact"), LANGUAGES_TW_HK, scams=60, lookalikes=100,
        lookalike_types=("alert_check", "frozen_legit", "police_real", "past", "ipo_real", "charity", "job_real",
                         "parcel_real", "refund_real", "loan_real", "debt_real", "relative_real", "advice"),
        scams_each=dict.fromkeys(("takeover", "task", "ipo", "ritual", "payverify", "relative_video", "debt_collect",
                                  "customs_parcel", "refund", "loan_deposit", "recontact"), 4) | {"takeover": 12},
        missed={"task": 1, "loan_deposit": 1},
        note="scams left unpinned before, on the lines written first: takeover 13, ritual 2, customs_parcel 2, "
             "task 1, loan_deposit 1; false banners before: police_real 2. The helper's after was 0 in every type; "
             "once the round's branches merged and utterances_v17 joined the library (and the scam signal's "
             "training), one payverify and one loan_deposit scam were left unpinned (the lead; cause not "
             "examined, nothing tuned). Task 1: the twenty-first round's weighted scam signal "
             "(scam_signal.ASKED_WEIGHT) scores one task scam the rules see part of under its new threshold "
             "(83 -> 82/84; the other type files unchanged, r21 17 -> 18/24, leave-one-file-out 1,442 -> 1,448); "
             + AFTER_R24_PINS + "payverify, loan_deposit and task pinned, one relative_video scam not (83/84); "
             + AFTER_R25_JOIN + "the relative_video scam pinned, one task and one loan_deposit scam not (82/84)"),
    PinProbes(
        "pin_probes_types_r18.jsonl", "test_pin_types_r18.py", R18_TYPES, LANGUAGES_TW_HK, scams=70, lookalikes=110,
        lookalike_types=("past", "call_check", "court_real", "sim_real", "alert_check", "everyday_real"),
        scams_each=dict.fromkeys(R18_TYPES, 4), lookalikes_each={"past": 40},
        missed={"relative": 1},
        note="before, on the lines written first: takeover 8, ritual 1 unpinned; past 2 false banners; after the "
             "twenty-first round (utterances_v21 and v23 joined to the scam signal's training) one toll_parcel "
             "scam is left unpinned too (cause not examined, nothing tuned); " + AFTER_R25_PINS
             + "an English toll_parcel scam the signal had completed on main aeabbd6 left unpinned (79/81); "
             + AFTER_R25_JOIN + "the takeover and both toll_parcel scams pinned (80/81)"),
    PinProbes(
        "pin_probes_types_r19.jsonl", "test_pin_types_r19.py", R18_TYPES, LANGUAGES_TW_HK, scams=70, lookalikes=110,
        lookalike_types=("past", "call_check", "urgent_real", "alert_check", "sim_real", "everyday_real"),
        scams_each=dict.fromkeys(R18_TYPES, 5), lookalikes_each={"past": 50}, written="first",
        missed={"boss": 1, "ritual": 1}, false={"call_check": 1, "urgent_real": 1}, whole=(88, 90, 2, 122),
        note="before, on the lines written first: takeover 6, relative 2, toll_parcel 2, task 1, boss 1, ritual 1 "
             "unpinned; past 4, call_check 9, urgent_real 1 false banners; " + AFTER_R22_PINS
             + "urgent_real 2 false banners (3/122 in all); " + AFTER_R24_PINS + "urgent_real 1 (2/122); "
             + AFTER_R26_SIG + "an urgent_real lookalike completed again (3/122); " + AFTER_R27_SIG
             + "no longer (2/122); " + AFTER_R27_JOIN + "completed again (3/122); " + AFTER_R28_JOIN
             + "no longer (2/122)"),
    PinProbes(
        "pin_probes_types_r20.jsonl", "test_pin_types_r20.py", R20_SCAM_TYPES + R20_LOOKALIKE_TYPES, LANGUAGES_TW_HK,
        scams=100, lookalikes=100, lookalike_types=R20_LOOKALIKE_TYPES, written="first",
        missed={"boss": 1}, whole=(104, 105, 0, 111),
        note="before: boss 3, courier_cash 3, loan_fee 1, job_deposit 1, task 1, crypto_atm 1, parcel_fee 1 "
             "unpinned; real_remote 2, courier_real 1 false banners (94/105, 3/111); " + AFTER_R25_JOIN
             + "a zh-Hant-TW invest scam the signal had completed left unpinned (103/105); " + AFTER_R29_REL
             + "that invest scam completed again (104/105)"),
    PinProbes(
        "pin_probes_types_r21.jsonl", "test_pin_types_r21.py", R21_SCAM_TYPES + R21_LOOKALIKE_TYPES, LANGUAGES_TW_HK,
        scams=24, lookalikes=24, lookalike_types=R21_LOOKALIKE_TYPES, written="first",
        scams_each=dict.fromkeys(R21_SCAM_TYPES, 4), lookalikes_each=dict.fromkeys(R21_LOOKALIKE_TYPES, 4),
        missed={"watched_now": 2, "urgent_limit": 1, "coached_atm": 1},
        false={"platform_real": 1, "parcel_real": 1}, whole=(20, 24, 2, 24),
        note="before (main 7a1177b): watched_now 3, urgent_limit 2, task_deposit 1, courier_link 1 unpinned "
             "(17/24); platform_real 1, parcel_real 1 false banners. After the scheme gate and the weighted "
             "signal: task_deposit pinned (18/24), the false banners unchanged; no lexicon was changed for it; "
             + AFTER_R22_PINS + "19/24 pinned; " + AFTER_R23_PINS + "an urgent_limit line pinned (20/24); "
             + AFTER_R24_PINS + "an urgent_limit and a courier_link line unpinned (18/24); " + AFTER_R29_REL
             + "the courier_link scam completed (19/24); the family_real lookalike scam40's demand bar completed (a "
             "wife guiding her husband at a cash machine) is held to the usual bar and stays unpinned; "
             + AFTER_R32_JOIN + "a watched_now and an urgent_limit scam completed, a coached_atm scam no "
             "longer (20/24)"),
    PinProbes(
        "pin_probes_types_r22.jsonl", "test_pin_types_r22.py", R22_SCAM_TYPES + R22_LOOKALIKE_TYPES, LANGUAGES_TW_HK,
        scams=24, lookalikes=24, lookalike_types=R22_LOOKALIKE_TYPES, written="first",
        scams_each=dict.fromkeys(R22_SCAM_TYPES, 6), lookalikes_each=dict.fromkeys(R22_LOOKALIKE_TYPES, 6),
        missed={"watched_now": 2, "urgent_limit": 3, "family_ask": 1},
        false={"coached_real": 2}, whole=(18, 24, 2, 24),
        note="before (main ef80e11): urgent_limit 4, coached_now 3, watched_now 2, family_ask 1 unpinned (14/24); "
             "coached_real 2 false banners. The urgent limit or unlock request (scam.doing.*) and threat markers: "
             "one zh-Hant-HK urgent_limit (unlock now) pinned (15/24); keys pressed and numbers typed on a "
             "caller's word (scam.asks.control.*): two coached_now pinned (17/24); false banners unchanged; "
             + AFTER_R26_SIG + "the last coached_now completed (18/24); " + AFTER_R27_JOIN
             + "the family_ask scam completed (19/24); " + AFTER_R28_JOIN + "an English coached_now scam (a 'tech "
             "support' caller, no instruction read) and the family_ask scam no longer completed (17/24); "
             + AFTER_R29_REL + "the family_ask scam completed again (18/24); " + AFTER_R29_JOIN
             + "one more scam completed (19/24); "
             + AFTER_R32_JOIN + "a family_ask scam no longer completed (18/24: watched_now 2, urgent_limit 3, "
             "family_ask 1 unpinned)"),
    PinProbes(
        "pin_probes_types_r23.jsonl", "test_pin_types_r23.py", R23_SCAM_TYPES + R23_LOOKALIKE_TYPES, LANGUAGES_TW_HK,
        scams=24, lookalikes=24, lookalike_types=R23_LOOKALIKE_TYPES, written="first",
        scams_each=dict.fromkeys(R23_SCAM_TYPES, 6), lookalikes_each=dict.fromkeys(R23_LOOKALIKE_TYPES, 6),
        missed={"keep_line": 2, "gift_cards": 1}, false={"line_real": 3}, whole=(21, 24, 3, 24),
        note="before (main b7e78cb): reported_ask 1, keep_line 2, gift_cards 1 unpinned (20/24); line_real 3 false "
             "banners (staying on the line with the bank's staff or a relative). The completion threshold per "
             "script (scam_signal.SCRIPTS): one English reported_ask completed (21/24), false banners unchanged"),
    PinProbes(
        "pin_probes_en_r24.jsonl", "test_pin_probes_en_r24.py", R24_SCAM_TYPES + R24_LOOKALIKE_TYPES,
        frozenset({"en", "zh-Hans", "yue"}), scams=24, lookalikes=24, lookalike_types=R24_LOOKALIKE_TYPES,
        written="first", scams_each=dict.fromkeys(R24_SCAM_TYPES, 6),
        lookalikes_each=dict.fromkeys(R24_LOOKALIKE_TYPES, 6),
        missed={"relayed_ask": 2, "deadline": 2, "walked_through": 1}, whole=(19, 24, 0, 24),
        note="before (main 7bf1d11): relayed_ask 2, deadline 3, money_forms 1 unpinned (18/24), no false banner. "
             "English instruction families (plural verbs, reported obligations, wanted sums, threats; d3e7c56): "
             "21/24; the passive instruction as party and ask (c019f31): 22/24; false banners 0 throughout; "
             + AFTER_R24_PINS + "three English scams the signal had completed left unpinned (19/24); " + AFTER_R26_SIG
             + "relayed_ask, walked_through and deadline one each completed again (22/24); " + AFTER_R26_JOIN
             + "that relayed_ask scam no longer completed (21/24); " + AFTER_R29_JOIN
             + "a deadline scam no longer completed (20/24); "
             + AFTER_R32_JOIN + "a walked_through scam no longer completed (19/24)"),
    PinProbes(
        "pin_probes_bar_r25.jsonl", "test_pin_probes_bar_r25.py", R25_SCAM_TYPES + R25_LOOKALIKE_TYPES,
        LANGUAGES_TW_HK, scams=24, lookalikes=24, lookalike_types=R25_LOOKALIKE_TYPES, written="first",
        scams_each=dict.fromkeys(R25_SCAM_TYPES, 6), lookalikes_each=dict.fromkeys(R25_LOOKALIKE_TYPES, 6),
        missed={"relayed_now": 3, "stranger_waiting": 2, "scheme_unlock": 2, "hushed_errand": 3},
        false={"errand_legit": 1}, whole=(14, 24, 1, 24),
        note="before (main e1d3a8e, completion thresholds zh 0.485 / en 0.775): rules alone 13/24 scams, 2/24 "
             "false banners; rules and scam signal 14/24 (missed relayed_now 3, stranger_waiting 2, scheme_unlock "
             "2, hushed_errand 3; seven of the ten English), 2/24 (relayed_legit 1, errand_legit 1, both rule "
             "pins). The bar robust to one line (scam_signal.tail_top; English bar 0.775 -> 0.711): unchanged, "
             "14/24 and 2/24 (the English scams missed score 0.64 and less); " + AFTER_R25_JOIN
             + "a stranger_waiting scam the signal had completed left unpinned (13/24); " + AFTER_R26_PINS
             + "the relayed_legit lookalike (a health-insurance office's letter by post) no longer pinned (1/24); "
             + AFTER_R26_SIG + "two stranger_waiting scams completed (15/24); " + AFTER_R30_JOIN
             + "a stranger_waiting scam no longer completed (14/24)"),
    PinProbes(
        "pin_probes_fp_r25.jsonl", "test_pin_probes_fp_r25.py", R25FP_SCAM_TYPES + R25FP_LOOKALIKE_TYPES,
        LANGUAGES_TW_HK, scams=24, lookalikes=24, lookalike_types=R25FP_LOOKALIKE_TYPES, written="first",
        scams_each=dict.fromkeys(R25FP_SCAM_TYPES, 6), lookalikes_each=dict.fromkeys(R25FP_LOOKALIKE_TYPES, 6),
        missed={"past_again": 1, "check_now": 3},
        whole=(20, 24, 0, 24),
        note="before (main aeabbd6): rules alone and with the scam signal 20/24 scams, 5/24 false banners (kin_legit "
             "3, own_call_legit 1, check_legit 1; all rule pins). The customer or a named relative as the actor of a "
             "call, an indefinite opener naming a known person or the bank's staff, a past entry of card data, the "
             "customer ending the contact afterwards, a question about what to do now (scamfp35): 20/24 (one "
             "Cantonese kin_now the rules no longer pin is completed by the signal), 2/24 false banners; "
             + AFTER_R25_JOIN + "that kin_now scam no longer completed (19/24); " + AFTER_R26_SIG
             + "completed again (20/24); " + AFTER_R26_JOIN + "a check_now scam completed (21/24); "
             + AFTER_R27_JOIN + "no longer (20/24); " + AFTER_R29_REL + "the kin_legit and check_legit rule pins "
             "vetoed (0/24); " + AFTER_R31_JOIN + "a check_now scam completed (21/24); "
             + AFTER_R32_JOIN + "a second check_now scam no longer completed (20/24)"),
    PinProbes(
        "pin_probes_fp_r26.jsonl", "test_pin_probes_fp_r26.py", R26FP_SCAM_TYPES + R26FP_LOOKALIKE_TYPES,
        LANGUAGES_TW_HK, scams=24, lookalikes=24, lookalike_types=R26FP_LOOKALIKE_TYPES, written="first",
        scams_each=dict.fromkeys(R26FP_SCAM_TYPES, 6), lookalikes_each=dict.fromkeys(R26FP_LOOKALIKE_TYPES, 6),
        missed={"inst_now": 1, "real_now": 2}, false={"kin_real": 2, "courier_legit": 2},
        whole=(21, 24, 4, 24),
        note="before (main 4128c7a): rules alone and with the scam signal 20/24 scams, 7/24 false banners "
             "(inst_legit 2, kin_real 3, courier_legit 2; all rule pins). The actor, purpose and paper of a part "
             "(scamfp36: an authority met on paper with no call or claim is its own process, 说是 before a purpose "
             "is no claim, a check with the person themselves cancels): 20/24, 5/24 (the court and tax-office "
             "letters no longer pinned); " + AFTER_R26_SIG + "the courier_now scam completed (21/24); " + AFTER_R26_JOIN
             + "no longer (20/24); " + AFTER_R27_SIG + "completed again (21/24); " + AFTER_R29_REL
             + "a kin_real rule pin vetoed (4/24); " + AFTER_R29_JOIN
             + "the courier_now scam no longer completed (20/24); the thirty-second round's customer readings "
             "(scam45: a card shown, a fee wanted paid, a private account where a business is owed, the bank's own "
             "process asked): the courier_now scam pinned again (21/24)"),
    PinProbes(
        "pin_probes_sig_r26.jsonl", "test_pin_probes_sig_r26.py", R26SIG_SCAM_TYPES + R26SIG_LOOKALIKE_TYPES,
        LANGUAGES_TW_HK, scams=24, lookalikes=24, lookalike_types=R26SIG_LOOKALIKE_TYPES, written="first",
        scams_each=dict.fromkeys(R26SIG_SCAM_TYPES, 6), lookalikes_each=dict.fromkeys(R26SIG_LOOKALIKE_TYPES, 6),
        missed={"hint_cash": 4}, false={"fee_real": 1}, whole=(20, 24, 1, 24),
        note="before (main 4128c7a, completion thresholds zh 0.734 / en 0.679): rules alone and with the scam "
             "signal 20/24 scams (hint_cash 4 missed: three the rules half-read scoring 0.17 and less, one with no "
             "part), 1/24 false banners (fee_real 1, a rule pin). The second fit weighing the texts beyond the margin "
             "less (scam36's first form, not shipped: one leave-one-file-out false banner more): 20/24, 1/24; "
             + AFTER_R26_SIG + "unchanged (20/24, 1/24)"),
    PinProbes(
        "pin_probes_r27.jsonl", "test_pin_probes_r27.py", R27_SCAM_TYPES + R27_LOOKALIKE_TYPES,
        LANGUAGES_TW_HK, scams=24, lookalikes=24, lookalike_types=R27_LOOKALIKE_TYPES, written="first",
        scams_each=dict.fromkeys(R27_SCAM_TYPES, 6), lookalikes_each=dict.fromkeys(R27_LOOKALIKE_TYPES, 6),
        missed={"relay_now": 1}, false={"remote_over": 1}, whole=(23, 24, 1, 24),
        note="before (main 9ba355c): rules alone 21/24 scams, 1/24 false banners; rules and the scam signal 22/24 "
             "(remote_now 1 and relay_now 1 missed, both half-read), 1/24 (remote_over 1: an employer's IT desk "
             "controlling a work laptop, a rule pin). The kinds of part the rules missed (pins37: a recovery offer "
             "in Cantonese and English reported speech, a fee under another name before release, a remote action "
             "told by what the customer sees): rules alone 23/24, rules and signal 23/24, 1/24"),
    PinProbes(
        "pin_probes_sig_r27.jsonl", "test_pin_probes_sig_r27.py", R27SIG_SCAM_TYPES + R27SIG_LOOKALIKE_TYPES,
        frozenset({"zh-Hans", "en"}), scams=16, lookalikes=16, lookalike_types=R27SIG_LOOKALIKE_TYPES, written="first",
        scams_each={"en_half": 12, "zh_half": 4}, lookalikes_each={"en_real": 12, "zh_real": 4},
        missed={"en_half": 1}, whole=(15, 16, 0, 16),
        note="before (main 9ba355c, completion thresholds zh 0.743 / en 0.621): rules and scam signal 15/16 scams "
             "(one English en_half missed), 0/16 false banners; each script weighed by its share (scam38, en bar "
             "0.574): unchanged (15/16, 0/16)"),
    PinProbes(
        "pin_probes_r28.jsonl", "test_pin_probes_r28.py", R28_SCAM_TYPES + R28_LOOKALIKE_TYPES,
        frozenset({"en"}), scams=16, lookalikes=16, lookalike_types=R28_LOOKALIKE_TYPES, written="first",
        scams_each=dict.fromkeys(R28_SCAM_TYPES, 4), lookalikes_each=dict.fromkeys(R28_LOOKALIKE_TYPES, 4),
        missed={"unlock_now": 2},
        note="before (main a62d717): rules alone 9/16 scams (unlock_now 2, object_now 2, party_now 1, offplat_now 2 "
             "missed), 0/16 false banners. The English parts the rules did not read (scam39: a payment promised to "
             "unlock money, the scam's object, a party by handle or role, a payment steered off a platform): rules "
             "alone 14/16, 0/16 (the rules and the scam signal together not measured this round)"),
    PinProbes(
        "pin_probes_rel_r29.jsonl", "test_pin_probes_rel_r29.py", R29REL_SCAM_TYPES + R29REL_LOOKALIKE_TYPES,
        PIN_LANGUAGES, scams=12, lookalikes=12, lookalike_types=R29REL_LOOKALIKE_TYPES, written="first",
        scams_each=dict.fromkeys(R29REL_SCAM_TYPES, 6), lookalikes_each=dict.fromkeys(R29REL_LOOKALIKE_TYPES, 6),
        missed={"stranger_now": 1}, false={}, whole=(11, 12, 0, 12),
        note="before (main 9858a93, utterances_v34 and v37 joined): rules alone 10/12 scams (stranger_now 2 missed), "
             "2/12 false banners (own_now 1, kin_real 1; rule pins); rules and scam signal 11/12, 2/12. The relation "
             "of the one who asks (scam41): 11/12, 1/12 (the kin_real rule pin, a father's real hospital bill, "
             "vetoed; the own_now rule pin, a daughter coaching in the app, stands above the own veto); "
             + AFTER_R32_JOIN + "the own_now false banner gone (0/12)"),
    PinProbes(
        "pin_probes_tense_r30.jsonl", "test_pin_probes_tense_r30.py", R30TENSE_SCAM_TYPES + R30TENSE_LOOKALIKE_TYPES,
        PIN_LANGUAGES, scams=16, lookalikes=16, lookalike_types=R30TENSE_LOOKALIKE_TYPES, written="first",
        scams_each=dict.fromkeys(R30TENSE_SCAM_TYPES, 8), lookalikes_each=dict.fromkeys(R30TENSE_LOOKALIKE_TYPES, 8),
        false={"past_told": 2, "check_ask": 1}, whole=(16, 16, 3, 16),
        note="before (main abd8d23, utterances_v36 and v39 joined): rules alone 16/16 scams, 4/16 false banners "
             "(past_told 3: a finished loss told with a holiday or season; check_ask 1: the customer calling the "
             "bank first; all rule pins); rules and scam signal 16/16, 4/16. A scam told by its finished outcome "
             "(scam42: scam.disengaged.loss, the signal's training gate kept as it was): rules alone 16/16, 3/16 (the "
             "platform gone after a top-up no longer pinned; a code given 给他了 and an English loss told after a "
             "semicolon not read); rules and signal 16/16, 3/16"),
    PinProbes(
        "pin_probes_refused_r31.jsonl", "test_pin_probes_refused_r31.py", R31REFUSED_SCAM_TYPES
        + R31REFUSED_LOOKALIKE_TYPES, PIN_LANGUAGES, scams=8, lookalikes=8, lookalike_types=R31REFUSED_LOOKALIKE_TYPES,
        written="first", scams_each=dict.fromkeys(R31REFUSED_SCAM_TYPES, 8),
        lookalikes_each=dict.fromkeys(R31REFUSED_LOOKALIKE_TYPES, 8), whole=(8, 8, 0, 8),
        note="before (main e526979, utterances_v38 and v40 joined): rules alone 8/8 scams, 6/8 false banners (a "
             "demand not acted on after 后 or with 缴, a message deleted, a call of the customer's own to check, a "
             "loss told as money missing; all rule pins). A demand refused, deleted or checked (scam43: "
             "scam.disengaged.refused, and scam.disengaged.loss widened; the signal's training gate kept as it was): "
             "rules alone 8/8, 0/8; rules and scam signal 8/8, 0/8"),
    PinProbes(
        "pin_probes_process_r32.jsonl", "test_pin_probes_process_r32.py", R32PROCESS_SCAM_TYPES
        + R32PROCESS_LOOKALIKE_TYPES, PIN_LANGUAGES, scams=8, lookalikes=8, lookalike_types=R32PROCESS_LOOKALIKE_TYPES,
        written="first", scams_each=dict.fromkeys(R32PROCESS_SCAM_TYPES, 8),
        lookalikes_each=dict.fromkeys(R32PROCESS_LOOKALIKE_TYPES, 8),
        false={"asks_process": 8}, whole=(8, 8, 8, 8),
        note="before (main c5a7b4d, utterances_v41 and v42 joined): rules alone 7/8 scams (an English fee wanted "
             "'sent to his account' half-read), 7/8 false banners (all rule pins; the eighth half-read). The bank's "
             "own process asked after a stranger's demand (scam45: scam.disengaged.asks_process, the signal's "
             "training gate kept as it was) and a fee wanted as an object and a participle (scam.asks.en): rules "
             "alone 8/8, 0/8 (the lookalikes cancelled, so no completion; the rules and scam signal not measured "
             "this round: the rule pins of the scams may meet the veto); the process reading reverted by the lead "
             "(it also cancelled the pattern of a 'safe account', a court's deposit or a loan fee into a private "
             "account when the customer asked the proper process): rules and scam signal 8/8 scams, 8/8 false "
             "banners"),
    PinProbes(
        "pin_probes_card_r32.jsonl", "test_pin_probes_card_r32.py", R32CARD_SCAM_TYPES + R32CARD_LOOKALIKE_TYPES,
        PIN_LANGUAGES, scams=8, lookalikes=8, lookalike_types=R32CARD_LOOKALIKE_TYPES, written="after",
        scams_each=dict.fromkeys(R32CARD_SCAM_TYPES, 8), lookalikes_each=dict.fromkeys(R32CARD_LOOKALIKE_TYPES, 8),
        note="written after the rule's first draft (in sample). Before (main c5a7b4d): rules alone 0/8 scams read "
             "whole (all half-read), 0/8 false banners (4 half-read). The card held to a phone or shown to a camera "
             "(scam45: scam.asks.cardshown.*, the signal's training gate kept as it was): rules alone 8/8 read whole, "
             "0/8 (the same 4 half-read); the rules and scam signal not measured this round"),
    PinProbes(
        "pin_probes_past_r33.jsonl", "test_pin_probes_past_r33.py", R33PAST_SCAM_TYPES + R33PAST_LOOKALIKE_TYPES,
        PIN_LANGUAGES, scams=12, lookalikes=12, lookalike_types=R33PAST_LOOKALIKE_TYPES, written="first",
        scams_each=dict.fromkeys(R33PAST_SCAM_TYPES, 12), lookalikes_each=dict.fromkeys(R33PAST_LOOKALIKE_TYPES, 12),
        whole=(12, 12, 0, 12),
        note="before (main e5478ba, utterances_v43 and v44 joined): rules alone 12/12 scams read whole, 5/12 "
             "lookalikes read whole (a loss told after software the customer installed 2, a demand seen through in "
             "time 2, a grandmother's own ask 1); rules and scam signal 12/12, 5/12 (none vetoed). A loss after an "
             "install, a demand seen through, a grandparent known, a collector the customer owes (scam46: "
             "scam.disengaged.loss and .refused widened, the signal's training gate kept as it was; scam.known.en and "
             "scam.known.zh): rules alone 12/12, 0/12; rules and scam signal 12/12, 0/12"),
]


@dataclass(frozen=True)
class AbstentionProbes(ProbeFile):
    """A lookup probe file for abstention (``text``, ``scenario``, ``lang``, ``kind`` a line): in-scope requests
    that look like another firm's business and out-of-scope ones that look like the bank's. Its figures (top-1,
    in-scope lines abstained, out-of-scope precision / recall / F1) are measured with ``assist evaluate`` or
    ``bench/abstention_loo.py dump --whole`` and written in ``note``: a lookup costs a model build."""

    languages: frozenset[str]
    in_scope: int
    out_of_scope: int
    in_scope_kinds: tuple[str, ...]
    out_of_scope_kinds: tuple[str, ...]


ABSTENTION = [
    AbstentionProbes(
        "oos_probes_r22.jsonl", "test_probe_rounds.py", LANGUAGES_TW_HK, in_scope=46, out_of_scope=23,
        in_scope_kinds=("bank_fee", "elderly", "in_scope", "remittance", "small_business"),
        out_of_scope_kinds=("chat", "fee", "other_firm", "platform", "public"),
        note="written in the twenty-second round (docs/quality.md, its section): top-1 0.761, 0 in scope "
             "abstained, OOS 1.000 / 0.913 / 0.955 before and after that round's calibration"),
    AbstentionProbes(
        "oos_probes_r24.jsonl", "test_probe_rounds.py", LANGUAGES_TW_HK, in_scope=40, out_of_scope=19,
        in_scope_kinds=("bank_fee", "card_status", "phishing", "platform_link", "transfer", "unrecognised"),
        out_of_scope_kinds=("chat", "other_firm", "parcel", "platform_fee", "platform_refund", "platform_transfer",
                            "telecom"),
        note="written in the twenty-fourth round by its abstention helper (oos33), before any change: the "
             "bank's own fees, phishing reports, transfers not arrived, unrecognised charges and card "
             "applications told beside a platform's name, against platforms' own fees, refunds and transfers; "
             "before (main 7bf1d11, bench/abstention_loo.py dump --whole): top-1 0.875, 2 in scope abstained, "
             "OOS 0.900 / 0.947 / 0.923; after the F1 weighed to a tenth out of scope (calibrate.OUT_OF_SCOPE_SHARE): "
             "top-1 0.875, 2 in scope abstained, OOS 0.895 / 0.895 / 0.895 (one other firm's line more answered)"),
    AbstentionProbes(
        "oos_probes_r25.jsonl", "test_probe_rounds.py", LANGUAGES_TW_HK, in_scope=32, out_of_scope=16,
        in_scope_kinds=("card_use", "remittance", "transfer", "unrecognised"),
        out_of_scope_kinds=("chat", "other_firm", "platform_fee", "platform_refund"),
        note="written in the twenty-fifth round by its abstention helper (oos35), before any change: transfers "
             "from or to a wallet or another bank not arrived, unknown charges from apps and sites, remittances "
             "and card use at online shops, against wallets' fees, platforms' refunds, other firms' services and "
             "chit-chat; before (main e1d3a8e, bench/abstention_loo.py dump --whole): top-1 0.844, top-3 0.906, "
             "1 in scope abstained, OOS 0.933 / 0.875 / 0.903"),
    AbstentionProbes(
        "oos_probes_r26.jsonl", "test_probe_rounds.py", LANGUAGES_TW_HK, in_scope=21, out_of_scope=17,
        in_scope_kinds=("account", "card", "loan", "transfer"),
        out_of_scope_kinds=("chat", "other_firm", "platform", "telecom"),
        note="written in the twenty-sixth round by its batch-speed helper (perf36), before the quick pass's "
             "out-of-scope lead (cascade.SURE_OUT_OF_SCOPE_LEAD): plain requests about cards, loans, transfers and "
             "logins against delivery, ride-hailing, shopping, telecom and transit-card matters and chit-chat; "
             "before and after (main 4128c7a against perf36, assist evaluate): top-1 1.000, 0 in scope abstained, "
             "OOS 1.000 / 0.882 / 0.938 both; the quick pass decided 0.579 -> 0.737"),
    AbstentionProbes(
        "oos_probes_r29.jsonl", "test_probe_rounds.py", LANGUAGES_TW_HK, in_scope=20, out_of_scope=22,
        in_scope_kinds=("card_status", "limit", "login", "platform_charge", "platform_transfer"),
        out_of_scope_kinds=("broker", "chat", "insurer", "other_bank", "platform", "ride", "telecom"),
        note="written in the twenty-ninth round by its abstention helper (oos41), before any change: the bank's "
             "own charges, transfers, limits, frozen cards and logins told beside a wallet's, shop's or ride's "
             "name, against other firms' products (wallets, brokers, insurers, telecoms, rides), other banks "
             "and chit-chat; not measured this round (the shared index came late, docs/quality.md, "
             "twenty-ninth round)"),
    AbstentionProbes(
        "oos_probes_r30.jsonl", "test_probe_rounds.py", LANGUAGES_TW_HK, in_scope=14, out_of_scope=16,
        in_scope_kinds=("login", "platform_charge", "platform_transfer", "wait"),
        out_of_scope_kinds=("chat", "firm_fee", "firm_frozen", "firm_login", "firm_wait"),
        note="written in the thirtieth round by its abstention helper (oos42), before any measurement: other "
             "firms' frozen accounts, logins, fees and queues told in the bank's words (what the quick pass is sure "
             "of without asking how close the out-of-scope class came), against the bank's own logins, waits, "
             "and charges and transfers beside a platform's name; figures in docs/quality.md, thirtieth round"),
]

UNTABLED = {f"compliance_probes_r{n}.jsonl": "measured in docs/compliance.md and docs/quality.md only"
            for n in (9, 10, 11, 12, 13)}
"""Probe files with no row: no test asserted their figures."""


def compliance_rows(row: ComplianceProbes) -> list[dict[str, object]]:
    return read_rows(HERE / row.file)


def test_every_probe_file_has_a_row_and_its_module() -> None:
    patterns = ("compliance_probes_*.jsonl", "pin_probes_types_*.jsonl", "pin_probes_en_*.jsonl",
                "pin_probes_bar_*.jsonl", "pin_probes_fp_*.jsonl", "pin_probes_sig_*.jsonl",
                "pin_probes_r2?.jsonl", "pin_probes_rel_*.jsonl", "pin_probes_tense_*.jsonl",
                "pin_probes_refused_*.jsonl", "pin_probes_process_*.jsonl",
                "pin_probes_card_*.jsonl", "pin_probes_past_*.jsonl")
    files = {path.name for pattern in patterns for path in HERE.glob(pattern)}
    tabled = [(row.file, row.module) for row in COMPLIANCE] + [(row.file, row.module) for row in PINS]
    assert sorted(files - set(UNTABLED)) == sorted(file for file, _ in tabled)
    assert [module for _, module in tabled if not (HERE / module).is_file()] == []
    assert sorted(path.name for path in HERE.glob("oos_probes_*.jsonl")) == sorted(row.file for row in ABSTENTION)


@pytest.mark.parametrize("row", ABSTENTION, ids=lambda row: row.name)
def test_the_abstention_probes_hold_both_sides_in_every_language(row: AbstentionProbes) -> None:
    from assist.library.loader import SHIPPED_LIBRARY, load_library

    data = read_rows(HERE / row.file)
    inside = [r for r in data if r["scenario"] != "out_of_scope"]
    outside = [r for r in data if r["scenario"] == "out_of_scope"]
    assert (len(inside), len(outside)) == (row.in_scope, row.out_of_scope)
    assert {str(r["lang"]) for r in inside} == {str(r["lang"]) for r in outside} == row.languages
    assert sorted({str(r["kind"]) for r in inside}) == sorted(row.in_scope_kinds)
    assert sorted({str(r["kind"]) for r in outside}) == sorted(row.out_of_scope_kinds)
    assert {str(r["scenario"]) for r in inside} <= set(load_library(SHIPPED_LIBRARY).scenarios)


@pytest.mark.parametrize("row", ABSTENTION, ids=lambda row: row.name)
def test_the_abstention_probes_are_not_copies_of_any_dev_text(row: AbstentionProbes) -> None:
    texts = [str(r["text"]) for r in read_rows(HERE / row.file)]
    assert [texts[i] for i, _, _ in near_pairs(texts, dev_texts(), 0.7)] == []


@pytest.mark.parametrize("row", COMPLIANCE, ids=lambda row: row.name)
def test_the_probe_set_covers_every_language_both_ways(row: ComplianceProbes) -> None:
    gaps = uncovered(compliance_rows(row), row.categories, set(row.languages), violating=row.violating,
                     clean=row.clean, each=row.each, single_label=row.single_label, per_category=row.languages_each)
    assert gaps == []


@pytest.mark.parametrize("row", COMPLIANCE, ids=lambda row: row.name)
def test_the_rules_alone_on_the_probes(pack: RulePack, row: ComplianceProbes) -> None:
    report = evaluate_drafts(pack, HERE / row.file)
    table = f"expected found {row.rules[0]}, clean flagged {row.rules[1]}\n{report.format_table()}"
    assert row.rules[0].holds(report.detected_pairs, report.labelled_pairs), table
    assert row.rules[1].holds(report.flagged_clean, report.clean_drafts), table


@pytest.mark.parametrize("row", [row for row in COMPLIANCE if row.own_clean_flags is not None],
                         ids=lambda row: row.name)
def test_no_lookalike_is_flagged_for_the_files_own_categories(pack: RulePack, row: ComplianceProbes) -> None:
    hits = [(r["text"], sorted(flagged(pack, str(r["text"])) & set(row.categories)))
            for r in compliance_rows(row) if r["violations"] == []]
    own = [hit for hit in hits if hit[1]]
    assert len(own) <= (row.own_clean_flags or 0), own


@pytest.mark.parametrize(("row", "category"), [(row, category) for row in COMPLIANCE
                                                for category in row.each_category(row.misses)],
                         ids=lambda value: value if isinstance(value, str) else value.name)
def test_each_category_by_the_rules_alone(pack: RulePack, row: ComplianceProbes, category: str) -> None:
    rows = compliance_rows(row)
    missed = missed_by_rules(pack, rows, category)
    total = sum(r["violations"] == [category] for r in rows)
    bound = row.each_category(row.misses)[category]
    assert bound.holds(len(missed), total), (bound, total, missed)


@pytest.mark.parametrize(("row", "lang"), [(row, lang) for row in COMPLIANCE if row.language_misses
                                           for lang in sorted(row.languages)],
                         ids=lambda value: value if isinstance(value, str) else value.name)
def test_each_language_by_the_rules_alone(pack: RulePack, row: ComplianceProbes, lang: str) -> None:
    rows = [r for r in compliance_rows(row) if r["lang"] == lang and r["violations"]]
    missed = [r["text"] for r in rows
              if not {str(c) for c in r["violations"]} <= flagged(pack, str(r["text"]))]  # type: ignore[attr-defined]
    assert row.language_misses is not None and row.language_misses.holds(len(missed), len(rows)), missed


@pytest.mark.model
@pytest.mark.parametrize("row", [row for row in COMPLIANCE if row.signal], ids=lambda row: row.name)
def test_the_rules_and_signal_on_the_probes(pack: RulePack, row: ComplianceProbes) -> None:
    assert row.signal is not None
    report, found = scored_with_signal(pack, HERE / row.file, row.categories)
    table = f"expected found {row.signal[0]}, clean flagged {row.signal[1]}\n{report.format_table()}"
    assert row.signal[0].holds(report.detected_pairs, report.labelled_pairs), table
    assert row.signal[1].holds(report.flagged_clean, report.clean_drafts), table
    short = {category: (found[category], bound) for category, bound in row.each_category(row.signal_each).items()
             if not bound.holds(*found[category])}
    assert short == {}, found


Outcomes = Callable[[PinProbes], list[tuple[str, bool, bool]]]


@pytest.fixture(scope="module")
def pinned(pack: RulePack) -> Outcomes:
    """A pin probe file's (type, scam, fraud pinned) lines, read once a file."""
    cache: dict[str, list[tuple[str, bool, bool]]] = {}

    def outcomes(row: PinProbes) -> list[tuple[str, bool, bool]]:
        if row.file not in cache:
            cache[row.file] = pin_outcomes(pack, HERE / row.file)
        return cache[row.file]
    return outcomes


@pytest.mark.parametrize("row", PINS, ids=lambda row: row.name)
def test_the_pin_probes_hold_their_scams_and_lookalikes_over_every_type_and_language(row: PinProbes) -> None:
    data = read_rows(HERE / row.file)
    counted = [r for r in data if row.written is None or r["written"] == row.written]
    scams = Counter(str(r["type"]) for r in counted if r["scam"])
    lookalikes = Counter(str(r["type"]) for r in counted if not r["scam"])
    assert scams.total() >= row.scams and lookalikes.total() >= row.lookalikes, (scams.total(), lookalikes.total())
    assert {str(r["lang"]) for r in data} == row.languages
    assert {str(r["type"]) for r in data} == {*row.types, *row.lookalike_types}
    assert {t: scams[t] for t, n in row.scams_each.items() if scams[t] < n} == {}
    assert {t: lookalikes[t] for t, n in row.lookalikes_each.items() if lookalikes[t] < n} == {}
    assert not any(r["scam"] for r in data if r["type"] in row.lookalike_types)


@pytest.mark.parametrize("row", [row for row in PINS if row.apart_from_dev], ids=lambda row: row.name)
def test_the_pin_probes_are_not_copies_of_any_dev_text(row: PinProbes) -> None:
    texts = [str(r["text"]) for r in read_rows(HERE / row.file)]
    assert [texts[i] for i, _, _ in near_pairs(texts, dev_texts(), 0.7)] == []


@pytest.mark.parametrize(("row", "kind"), [(row, kind) for row in PINS for kind in (*row.types, *row.lookalike_types)],
                         ids=lambda value: value if isinstance(value, str) else value.name)
def test_each_type_pins_its_scams_and_raises_no_false_banner(
        pinned: Outcomes, row: PinProbes, kind: str) -> None:
    missed, false = missed_and_false(pinned(row), kind)
    assert missed <= row.missed.get(kind, 0), (missed, row.missed)
    assert false <= row.false.get(kind, 0), (false, row.false)


@pytest.mark.parametrize("row", [row for row in PINS if row.whole], ids=lambda row: row.name)
def test_the_whole_pin_file_scores_as_measured(pinned: Outcomes, row: PinProbes) -> None:
    scams = [hit for _, scam, hit in pinned(row) if scam]
    false = [hit for _, scam, hit in pinned(row) if not scam]
    assert (sum(scams), len(scams), sum(false), len(false)) == row.whole
