"""bench/abstention_loo.py: a dumped line is decided as the lookup decides it (the pass that was
sure, a pin first, the redirect margin, then the threshold), and a replay's figures count them."""

from __future__ import annotations

from typing import Any

from tests.test_bench_batch_ab import load

bench = load("abstention_loo")


def line(gold: str, full: list[list[Any]], quick: list[list[Any]] | None = None, pinned: str | None = None,
         family: str = "zh") -> dict[str, Any]:
    return {"gold": gold, "lang": "zh-Hans", "kind": "", "family": family, "pinned": pinned is not None,
            "predicted": pinned, "abstained": False, "quick_used": quick is not None, "quick": quick,
            "quick_sure": quick is not None, "full": full}


def test_a_line_is_decided_like_the_lookup() -> None:
    thresholds, margins = {"zh": 0.3}, {"zh": 0.05}
    answered = line("card_lost_stolen", [["card_lost_stolen", 0.6], ["out_of_scope", 0.4]])
    assert bench.decide(answered, thresholds, margins, 0.45) == ("card_lost_stolen", False, "answer")
    close = line("card_lost_stolen", [["card_lost_stolen", 0.6], ["out_of_scope", 0.57]])
    assert bench.decide(close, thresholds, margins, 0.45) == ("card_lost_stolen", True, "redirect-margin")
    assert bench.decide(close, thresholds, {"zh": -0.05}, 0.45)[1] is False
    first = line("card_lost_stolen", [["out_of_scope", 0.62], ["card_lost_stolen", 0.6]])
    assert bench.decide(first, thresholds, margins, 0.45) == ("card_lost_stolen", True, "redirect-first")
    assert bench.decide(first, thresholds, {"zh": -0.05}, 0.45)[1] is False
    low = line("card_lost_stolen", [["card_lost_stolen", 0.2]])
    assert bench.decide(low, thresholds, margins, 0.45) == ("card_lost_stolen", True, "threshold")
    assert bench.decide(low, {}, margins, 0.1)[1] is False  # no family threshold: the default
    pinned = line("fraud_in_progress", [["out_of_scope", 0.9]], pinned="fraud_in_progress")
    assert bench.decide(pinned, thresholds, margins, 0.45) == ("fraud_in_progress", False, "pin")
    sure = line("fee_dispute", [["out_of_scope", 0.9]], quick=[["fee_dispute", 0.8], ["out_of_scope", 0.2]])
    assert bench.decide(sure, thresholds, margins, 0.45) == ("fee_dispute", False, "answer")


def test_a_replay_counts_the_files_figures_under_the_calibration() -> None:
    points = [["zh", False, False, 0.7, 0.1, True]] * 8 + [["zh", True, True, 0.2, 0.6, False]] * 2
    lines = [line("fee_dispute", [["fee_dispute", 0.7], ["out_of_scope", 0.1]]),
             line("fee_dispute", [["out_of_scope", 0.7], ["fee_dispute", 0.3]])
             | {"kind": "lookalike", "retrieval": [["fee_dispute", 0.5]], "head": [["out_of_scope", 0.8]]},
             line("out_of_scope", [["out_of_scope", 0.6], ["fee_dispute", 0.2]]),
             line("out_of_scope", [["fee_dispute", 0.8], ["out_of_scope", 0.1]])]
    got = bench.replay_file({"name": "x.jsonl", "points": points, "lines": lines}, errors=True)
    assert got["top1"] == 1.0 and got["abstained_in_scope"] == 1
    assert (got["oos_precision"], got["oos_recall"], got["oos_f1"]) == (0.5, 0.5, 0.5)
    assert got["routes"] == {"in scope abstained (redirect-first: head, full pass)": 1,
                             "in scope abstained, scenario fee_dispute": 1, "in scope abstained, kind lookalike": 1,
                             "out of scope answered (full pass)": 1}


def test_a_replay_can_cut_the_heads_out_of_scope_vote() -> None:
    # in scope, the out-of-scope class first by 0.1 through a head vote of 0.25; the quick pass unsure
    voted = line("fee_dispute", [["out_of_scope", 0.7], ["fee_dispute", 0.6]],
                 quick=[["out_of_scope", 0.62], ["fee_dispute", 0.6]]) | {
        "oos_parts": [0.25, 0.5, 0.6], "quick_oos_parts": [0.2, 0.5, 0.6], "quick_sure": False}
    points = [["zh", False, True, 0.6, 0.7, True, 0.25, 0.6, 0.5]]
    cut = bench.revoted({"name": "x.jsonl", "points": points, "lines": [voted]}, 0.2)
    assert cut["points"][0][2] is False and abs(cut["points"][0][4] - 0.5) < 1e-9
    assert cut["points"][0][6] == 0.25 * 0.2
    assert cut["lines"][0]["full"][0] == ["fee_dispute", 0.6] and cut["lines"][0]["full"][1][1] == 0.5
    assert cut["lines"][0]["quick_sure"] is False  # 0.6 leads 0.46 by less than cascade.SURE_MARGIN
    assert bench.decide(cut["lines"][0], {"zh": 0.3}, {"zh": 0.0}, 0.45) == ("fee_dispute", False, "answer")
    assert bench.revoted({"name": "x.jsonl", "points": points, "lines": [voted]}, 1.0)["lines"][0] is voted


def test_a_replay_can_make_the_quick_pass_sure_of_the_out_of_scope_class_by_its_lead() -> None:
    ahead = line("out_of_scope", [["fee_dispute", 0.5]], quick=[["out_of_scope", 0.4], ["fee_dispute", 0.33]])
    close = line("out_of_scope", [["fee_dispute", 0.5]], quick=[["out_of_scope", 0.4], ["fee_dispute", 0.38]],
                 family="en")
    behind = line("out_of_scope", [["fee_dispute", 0.5]], quick=[["fee_dispute", 0.4], ["out_of_scope", 0.1]])
    payload = {"name": "x.jsonl", "lines": [ahead | {"quick_sure": False}, close | {"quick_sure": False},
                                            behind | {"quick_sure": False}]}
    leads = bench.parse_leads("zh=0.05,en=0.05")
    assert leads == {"zh": 0.05, "en": 0.05} == bench.parse_leads("0.05")
    assert [x["quick_sure"] for x in bench.sure_of_lead(payload, leads)["lines"]] == [True, False, False]
    assert [x["quick_sure"] for x in bench.sure_of_lead(payload, {"zh": 0.1, "en": 0.0})["lines"]] == [
        False, True, False]
    assert bench.sure_of_lead(payload, None) is payload
    assert bench.decide(bench.sure_of_lead(payload, leads)["lines"][0], {"zh": 0.3}, {"zh": 0.0}, 0.45)[1]


def test_the_sure_curve_reads_the_quick_passs_points_beside_the_full_passs() -> None:
    # zh: eight in scope the full pass answers, two of which the quick pass ranks out of scope first by 0.1
    # (under the threshold: not sure now); two out of scope both passes redirect (the quick pass sure now)
    inside = ["zh", False, False, 0.8, 0.1, True, 0.0, 0.8, 0.1]
    inside_quick = ["zh", False, True, 0.3, 0.4, True, 0.0, 0.3, 0.4]
    outside = ["zh", True, True, 0.3, 0.6, False, 0.0, 0.3, 0.6]
    payload = {"name": "x.jsonl", "points": [inside] * 8 + [outside] * 2,
               "quick_points": [inside] * 6 + [inside_quick] * 2 + [outside] * 2}
    now, rows = bench.sure_curve_rows(payload, "zh", [0.0, 0.1, 0.2])
    assert now == 1.0
    weighed = 2 * 2 / (2 * 2 + 2 * (2 * 0.9 / (0.1 * 8)))  # two in scope redirected, weighed to a tenth
    assert [round(f, 6) for f, _, _ in rows] == [round(weighed, 6)] * 2 + [1.0]
    assert [(s, bad) for _, s, bad in rows] == [(0.2, 2), (0.2, 2), (0.0, 0)]
    assert bench.chosen_lead([(now, rows)], [0.0, 0.1, 0.2]) == (1.0, [f for f, _, _ in rows], 0.2)
    assert bench.chosen_lead([(now, rows[:2])], [0.0, 0.1])[2] is None


def test_the_joined_files_split_in_halves_by_parity() -> None:
    assert bench.half("utterances_v34.jsonl") == "dev"
    assert bench.half("utterances_v37.jsonl") == "confirm"
    assert bench.half("utterances_dev.jsonl") == "whole"  # not a joined file: the dev set, a probe file


def test_the_wrong_lines_are_the_out_of_scope_answered_and_the_in_scope_abstained() -> None:
    points = [["zh", False, False, 0.7, 0.1, True]] * 8 + [["zh", True, True, 0.2, 0.6, False]] * 2
    lines = [line("fee_dispute", [["fee_dispute", 0.7], ["out_of_scope", 0.1]]),
             line("fee_dispute", [["out_of_scope", 0.7], ["fee_dispute", 0.3]]),
             line("out_of_scope", [["out_of_scope", 0.6], ["fee_dispute", 0.2]]),
             line("out_of_scope", [["fee_dispute", 0.8], ["out_of_scope", 0.1]])]
    got = bench.wrong_lines({"name": "x.jsonl", "points": points, "lines": lines})
    assert got == [(2, "fee_dispute", "abstained (redirect-first)"),
                   (4, "out_of_scope", "answered fee_dispute (full)")]


def test_the_out_of_scope_class_stands_where_the_dumped_ranking_puts_it() -> None:
    assert bench.out_of_scope_stand([["fee_dispute", 0.8], ["card_lost_stolen", 0.5], ["out_of_scope", 0.45]]) == (
        3, 0.35)
    assert bench.out_of_scope_stand([["out_of_scope", 0.5], ["fee_dispute", 0.4]]) == (1, 0.0)
    assert bench.out_of_scope_stand([["fee_dispute", 0.8]]) == (None, None)
    assert bench.out_of_scope_stand(None) == (None, None)


def test_a_dumped_quick_ranking_is_sure_as_the_lookup_decides(monkeypatch: Any) -> None:
    from assist.lookup import cascade

    clear = [["fee_dispute", 0.8], ["card_lost_stolen", 0.6], ["out_of_scope", 0.55]]
    assert bench.quick_sure(clear, "zh", 0.45)
    assert not bench.quick_sure([["fee_dispute", 0.8], ["card_lost_stolen", 0.7]], "zh", 0.45)  # margin 0.1
    monkeypatch.setattr(cascade, "SURE_OUT_OF_SCOPE_GAP", {"zh": 0.3})
    assert not bench.quick_sure(clear, "zh", 0.45)  # the class within 0.3 of the best scenario
    assert bench.quick_sure(clear, "en", 0.45)  # en asks no gap


def test_a_replay_can_hand_on_the_lines_whose_out_of_scope_class_came_close() -> None:
    near = line("out_of_scope", [["out_of_scope", 0.6], ["fee_dispute", 0.5]],
                quick=[["fee_dispute", 0.8], ["card_lost_stolen", 0.6], ["out_of_scope", 0.55]])
    far = line("fee_dispute", [["fee_dispute", 0.6]], quick=[["fee_dispute", 0.8], ["out_of_scope", 0.3]])
    unlisted = line("fee_dispute", [["fee_dispute", 0.6]], quick=[["fee_dispute", 0.8], ["card_lost_stolen", 0.3]])
    first = line("out_of_scope", [["fee_dispute", 0.6]], quick=[["out_of_scope", 0.8], ["fee_dispute", 0.3]])
    payload = {"name": "x.jsonl", "lines": [near, far, unlisted, first]}
    assert bench.with_gap(payload, None) is payload
    assert [x["quick_sure"] for x in bench.with_gap(payload, {"zh": 0.3})["lines"]] == [False, True, True, True]
    assert [x["quick_sure"] for x in bench.with_gap(payload, {"en": 0.9})["lines"]] == [True] * 4
    points = [["zh", False, False, 0.7, 0.1, True]] * 8 + [["zh", True, True, 0.2, 0.6, False]] * 2
    got = bench.replay_file({"name": "x.jsonl", "points": points, "lines": [near]}, errors=True)
    assert got["routes"] == {"out of scope answered (quick pass)": 1,
                             "out of scope answered by the quick pass: class rank 3, gap 0.25-0.30": 1,
                             "out of scope answered by the quick pass: the full pass redirects": 1}
    handed = bench.replay_file({"name": "x.jsonl", "points": points,
                                "lines": bench.with_gap(payload, {"zh": 0.3})["lines"][:1]}, errors=True)
    assert handed["oos_recall"] == 1.0 and handed["routes"] == {}


def test_the_gap_curve_reads_the_quick_passs_sureness_from_the_points() -> None:
    # zh, the calibration's points (the full pass's): eight in scope answered, two out of scope redirected.
    # The quick pass is sure of all ten; on two of the out-of-scope points it answers a scenario that leads the
    # class by 0.2 (the full pass redirects them), on two in-scope points by 0.15 (the full pass answers them too)
    inside = ["zh", False, False, 0.8, 0.1, True, 0.0, 0.8, 0.1, 0.3]
    close_inside = ["zh", False, False, 0.8, 0.65, True, 0.0, 0.8, 0.65, 0.3]
    outside = ["zh", True, True, 0.3, 0.6, False, 0.0, 0.3, 0.6, 0.2]
    answered = ["zh", True, False, 0.8, 0.6, False, 0.0, 0.8, 0.6, 0.3]
    payload = {"name": "x.jsonl", "points": [inside] * 8 + [outside] * 2,
               "quick_points": [inside] * 6 + [close_inside] * 2 + [answered] * 2}
    now, sure, rows = bench.gap_curve_rows(payload, "zh", [0.0, 0.16, 0.25])
    assert sure == 1.0 and now < 1.0
    assert rows[0] == (now, 0.0, 0, 0)
    assert rows[1][1:] == (0.2, 0, 0)  # the two close in-scope points handed on: the full pass answers them too
    assert rows[2] == (1.0, 0.4, 2, 0)  # and the two out-of-scope points: the full pass redirects them
    assert bench.chosen_gap([(now, rows)], [0.0, 0.16, 0.25]) == (now, [now, rows[1][0], 1.0], 0.25)
    assert bench.chosen_gap([(now, rows[:2])], [0.0, 0.16])[2] is None
