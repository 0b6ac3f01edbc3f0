"""The scam signal (assist.lookup.scam_signal) and its completion of partial fraud patterns (pins)."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assist.compliance.rules import RulePack
from assist.lookup import pins
from assist.lookup.scam_signal import (
    BEYOND_MARGIN,
    DEMAND_VETO,
    OWN_VETO,
    SCRIPTS,
    VETO,
    LabelledSet,
    build,
    demand_thresholds,
    margin_penalties,
    measured_sets,
    penalties,
    script,
    script_thresholds,
    script_weights,
    solve,
    tail_top,
    threshold,
    veto,
)

KNOWN = {pins.FRAUD}
PROBES = Path(__file__).with_name("scam_signal_probes.jsonl")
"""Frozen before the signal was wired in (d8e11b8): rules alone pinned 19 of its 20 scams and none
of its 20 lookalikes."""
PROBES_R11 = Path(__file__).with_name("scam_signal_probes_r11.jsonl")
"""Frozen before the eleventh round's study of the signal alone (which did not ship): the rules
pinned its 20 scams and one of its 20 lookalikes, the signal none."""


class HashEncoder:
    """A tiny deterministic encoder: each word adds a fixed random direction (by its CRC-32)."""

    model_id = "hash-test"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), 16))
        for i, text in enumerate(texts):
            for word in text.split():
                out[i] += np.random.default_rng(zlib.crc32(word.encode())).standard_normal(16)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def write(path: Path, rows: list[tuple[str, bool]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"text": t, "scam": s}) + "\n" for t, s in rows), "utf-8")


def test_measured_sets_are_the_librarys_labelled_customer_texts(tmp_path: Path) -> None:
    """Only library files train the signal (a checkout and an installed package agree): the
    scam-labelled lines of examples/ and rules/scam_texts/; a frozen set's name is skipped."""
    library = tmp_path / "lib"
    write(library / "examples" / "utterances_v1.jsonl", [("moved", True)])
    (library / "examples" / "faq.jsonl").write_text('{"text": "no scam field", "scenario": "x"}\n', "utf-8")
    write(library / "rules" / "scam_texts" / "pin_probes_r1.jsonl", [("probe", True), ("fee", False)])
    write(library / "rules" / "scam_texts" / "pins_h3.jsonl", [("frozen", True)])
    write(tmp_path / "eval" / "heldout" / "utterances_v2.jsonl", [("outside the library", False)])
    found = measured_sets(library)
    assert [(s.name, s.texts, s.scams) for s in found] == [
        ("utterances_v1.jsonl", ("moved",), (True,)), ("pin_probes_r1.jsonl", ("probe", "fee"), (True, False))]
    assert measured_sets(tmp_path / "none") == []


def test_the_threshold_sits_just_above_every_gated_non_scam() -> None:
    held = np.array([0.9, 0.5, 0.7, 0.2])
    negative = np.array([False, True, True, True])
    assert threshold(held, negative, np.array([True, True, False, True])) == pytest.approx(0.5 + 1e-6)
    assert threshold(held, negative, np.array([True, False, False, False])) == float("inf")


def exponential_tail(n: int) -> np.ndarray:
    """n scores whose i-th highest lies at the exponential quantile of rank i (scale 0.1): a tail with no
    line out of it."""
    return -1.0 - 0.1 * np.log(np.arange(1, n + 1) / n)


def test_the_threshold_is_the_highest_gated_non_scam_while_it_sits_in_line_with_the_tail() -> None:
    scores = exponential_tail(400)
    everyone = np.ones(scores.size, dtype=bool)
    assert tail_top(scores) > scores.max()
    assert threshold(scores, everyone, everyone) == pytest.approx(scores.max() + 1e-6)


def test_one_line_far_above_the_tail_moves_the_threshold_by_no_more_than_the_tails_scale() -> None:
    scores = exponential_tail(400)
    bar = threshold(scores, np.ones(400, dtype=bool), np.ones(400, dtype=bool))
    moved = []
    for outlier in (scores.max() + 0.5, scores.max() + 5.0):
        held = np.append(scores, outlier)
        everyone = np.ones(held.size, dtype=bool)
        moved.append(threshold(held, everyone, everyone))
        assert moved[-1] < outlier
    assert moved[0] == pytest.approx(moved[1])  # how far the line stands out does not matter
    assert moved[0] - bar < 0.1 * 1.5  # the tail's scale (0.1) and the noise of reading it from 20 gaps


@pytest.mark.parametrize(("text", "found"), [
    ("the caller says i've got to move it all tonight", "en"),
    ("my landlord 李先生 wants the rent early", "en"),  # a Chinese name in English: English
    ("有个人叫我转账去一个新户口", "zh"),
    ("佢话我要即刻过数,个app叫我download", "zh"),  # a few English words in Cantonese: Chinese
    ("", "zh"),
])
def test_a_text_is_english_when_latin_letters_outnumber_twice_its_cjk_characters(text: str, found: str) -> None:
    assert script(text) == found


def test_each_script_has_its_own_threshold_and_one_with_no_gated_non_scam_takes_the_overall_one() -> None:
    held = np.array([0.9, 0.5, 0.2, 0.3, 0.8])
    negative = np.array([False, True, True, True, True])
    gated = np.array([True, True, True, True, False])
    scripts = ["zh", "zh", "en", "en", "en"]
    assert SCRIPTS == ("zh", "en")
    found = script_thresholds(held, negative, gated, scripts)
    assert found == pytest.approx([0.5 + 1e-6, 0.3 + 1e-6])  # the ungated 0.8 sets no bar
    none_en = script_thresholds(held, negative, gated, ["zh"] * 5)
    assert none_en == pytest.approx([0.5 + 1e-6, 0.5 + 1e-6])


def test_the_signal_holds_a_text_to_its_own_scripts_bar(tmp_path: Path) -> None:
    signal = build(toy_sets(), HashEncoder(), lambda text: True, "rules", tmp_path)
    assert signal is not None
    assert set(signal.thresholds) == set(SCRIPTS) and max(signal.thresholds.values()) <= signal.threshold
    signal.thresholds = {"zh": float("inf"), "en": -float("inf")}
    assert signal.completes("someone asked me to move money") and not signal.completes("有人让我转账")
    assert signal.completes_many(["someone asked me to move money", "有人让我转账"]) == [True, False]


def test_a_text_with_a_demand_is_held_to_the_bar_of_the_gated_non_scams_with_one() -> None:
    held = np.array([0.9, 0.5, 0.2, 0.3, 0.1, 0.6])
    negative = np.array([False, True, True, True, True, True])
    gated = np.array([True, True, True, True, True, False])
    demands = np.array([True, False, True, False, False, True])
    scripts = ["zh", "zh", "zh", "en", "en", "en"]
    own = script_thresholds(held, negative, gated, scripts)
    found = demand_thresholds(held, negative, gated, scripts, demands)
    assert found == pytest.approx([0.2 + 1e-6, own[1]])  # en has no gated non-scam with a demand: its own bar
    assert demand_thresholds(held, negative, gated, scripts, np.zeros(6, dtype=bool)) == pytest.approx(own)


def test_the_signal_holds_a_text_with_a_demand_to_the_demand_bar(tmp_path: Path) -> None:
    signal = build(toy_sets(), HashEncoder(), lambda text: True, "rules", tmp_path, demand=lambda text: "now" in text)
    assert signal is not None and set(signal.demand_thresholds) == set(SCRIPTS)
    signal.thresholds, signal.demand_thresholds = dict.fromkeys(SCRIPTS, float("inf")), dict.fromkeys(SCRIPTS, -1e9)
    text = "someone asked me to move money"
    assert not signal.completes(text) and signal.completes(text, demand=True)
    assert signal.completes_many([text, text], demands=[False, True]) == [False, True]


def toy_sets() -> list[LabelledSet]:
    scams = ["caller says move money to safe account now", "stranger asks code now please", "agent asks transfer now"]
    others = ["what is the fee for a transfer", "I hung up on a caller", "how do I change my card pin",
              "rent to landlord"]
    return [LabelledSet(f"s{k}", tuple([scams[k % 3], *others[k % 2:k % 2 + 2]]), (True, False, False))
            for k in range(4)]


def test_a_text_the_first_fit_puts_beyond_the_margin_weighs_less_in_the_second() -> None:
    targets = np.array([1.0, 1.0, -1.0, -1.0])
    first = np.array([0.1, 0.3, 0.3, 0.3])
    fitted = np.array([1.4, 0.6, -0.2, -1.5])  # beyond, inside, wrong side (inside), beyond
    dual = (targets - fitted) / first  # the ridge's residual is the penalty times the dual weight
    ungated = np.zeros(4, dtype=bool)
    assert np.allclose(margin_penalties(first, dual, targets, ungated),
                       [0.1 * BEYOND_MARGIN, 0.3, 0.3, 0.3 * BEYOND_MARGIN])


def test_a_gated_non_scam_beyond_the_margin_keeps_its_weight_and_a_gated_scam_does_not() -> None:
    targets = np.array([1.0, -1.0, -1.0])
    first = np.array([0.1, 0.1, 0.3])
    fitted = np.array([1.4, -1.6, -1.5])  # all three beyond the margin
    dual = (targets - fitted) / first
    gated = np.array([True, True, False])  # the bar is read from the gated non-scam
    assert np.allclose(margin_penalties(first, dual, targets, gated), [0.1 * BEYOND_MARGIN, 0.1, 0.3 * BEYOND_MARGIN])


def test_the_fit_solves_the_second_system_whose_inverse_gives_the_held_out_scores() -> None:
    from scipy import sparse

    rng = np.random.default_rng(7)
    dense = rng.standard_normal((12, 5))
    grams = sparse.csr_matrix(rng.random((12, 30)) * (rng.random((12, 30)) < 0.2))
    targets = np.where(dense[:, 0] > 0, 1.0, -1.0)
    gated = np.arange(12) % 3 == 1  # the toy's one text beyond the margin is an ungated non-scam
    scripts = ["en" if k % 4 == 0 else "zh" for k in range(12)]  # English a quarter: weighed three times more
    dual, lower = solve(grams, dense, targets, gated, scripts)
    kernel = (grams @ grams.T).toarray() + dense @ dense.T + 1.0
    first = penalties(targets > 0, gated, scripts)
    assert np.allclose(first[::4] * 3, penalties(targets > 0, gated, ["zh"] * 12)[::4])
    first_dual = np.linalg.solve(kernel + np.diag(first), targets)
    second = kernel + np.diag(margin_penalties(first, first_dual, targets, gated))
    assert np.allclose(dual, np.linalg.solve(second, targets))
    assert np.allclose(np.tril(lower), np.tril(np.linalg.inv(second)))
    assert not np.allclose(margin_penalties(first, first_dual, targets, gated), first)  # the toy has texts beyond


def test_each_script_weighs_by_its_share_and_the_largest_keeps_a_weight_of_one() -> None:
    weights = script_weights(["zh", "en", "zh", "zh", "zh", "en", "zh", "zh"])
    assert np.allclose(weights, [1, 3, 1, 1, 1, 3, 1, 1])  # six Chinese texts, two English ones
    assert np.isclose(weights[weights > 1].sum(), weights[weights == 1].sum())  # the scripts weigh alike
    assert np.allclose(script_weights(["en", "en"]), [1, 1])  # one script: the plain ridge


def test_training_is_deterministic_and_cached_with_a_checksum(tmp_path: Path) -> None:
    first = build(toy_sets(), HashEncoder(), lambda text: True, "rules", tmp_path)
    assert first is not None
    files = list(tmp_path.glob("*.npz"))
    assert len(files) == 1
    again = build(toy_sets(), HashEncoder(), lambda text: True, "rules", tmp_path)
    assert again is not None and np.array_equal(first.gram, again.gram) and first.threshold == again.threshold
    files[0].write_bytes(files[0].read_bytes()[:100])  # a damaged cache file is rebuilt, never used
    rebuilt = build(toy_sets(), HashEncoder(), lambda text: True, "rules", tmp_path)
    assert rebuilt is not None and np.array_equal(first.vector, rebuilt.vector)
    assert build([], HashEncoder(), lambda text: True, "rules", tmp_path) is None


class Always:
    threshold = 0.0

    def completes(self, text: str, demand: bool = False) -> bool:
        return True


@pytest.mark.parametrize(("text", "completed"), [
    ("A stranger on the phone asked me something odd", True),  # a party, no instruction the rules know
    ("A stranger on the phone asked me something odd, I hung up", False),  # disengaged: cancelled
    ("What is the fee to receive money?", False),  # no part of a pattern
])
def test_the_signal_completes_only_a_partial_pattern_nothing_cancels(
        pack: RulePack, monkeypatch: pytest.MonkeyPatch, text: str, completed: bool) -> None:
    monkeypatch.setattr(pins, "shipped_signal", lambda: Always())
    found = [p for p in pins.customer_pins(pack, text, KNOWN) if p.scenario == pins.FRAUD]
    assert bool(found) == completed
    assert all(p.rule_id == pins.COMPLETION and p.words for p in found)
    assert pins.customer_pins(pack, text, KNOWN, complete=False) == []


def test_frozen_probes_no_lookalike_is_completed_and_scams_still_pin(pack: RulePack) -> None:
    rows = [json.loads(line) for line in PROBES.read_text("utf-8").splitlines()]
    pinned = [pins.FRAUD in [p.scenario for p in pins.customer_pins(pack, r["text"], KNOWN)] for r in rows]
    assert sum(p for p, r in zip(pinned, rows, strict=True) if r["scam"]) >= 19
    assert not any(p for p, r in zip(pinned, rows, strict=True) if not r["scam"])


def test_round_11_probes_the_signal_completes_no_lookalike(pack: RulePack) -> None:
    rows = [json.loads(line) for line in PROBES_R11.read_text("utf-8").splitlines()]
    found = [[p for p in pins.customer_pins(pack, r["text"], KNOWN) if p.scenario == pins.FRAUD] for r in rows]
    assert all(found_pins for found_pins, r in zip(found, rows, strict=True) if r["scam"])
    assert not any(p.rule_id == pins.COMPLETION for found_pins, r in zip(found, rows, strict=True)
                   if not r["scam"] for p in found_pins)


def test_the_shipped_signal_needs_no_torch() -> None:
    code = ("import sys; from assist.lookup.pins import shipped_signal; s = shipped_signal(); "
            "assert s is None or s.threshold > 0; assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])


PROBES_R13 = Path(__file__).with_name("scam_signal_probes_r13.jsonl")
"""Frozen before the thirteenth round's veto was measured (0575f15): the rules (with the completion)
pinned its 20 scams and one of its 20 lookalikes, a line with an instruction in it."""
REPORT = "前阵子接到过冒充检察院的电话，想问我的卡要不要换一张"
"""A stranger and a fraud rule, no instruction or payment under way: the rules pin it."""
DEMAND = "自称检察官的人说我名下账户涉嫌洗钱，要我把存款转到安全账户"


class Scored:
    """A signal that gives every text one score and counts the texts it was asked about."""

    threshold = float("inf")

    def __init__(self, value: float) -> None:
        self.value, self.asked = value, 0

    def score(self, text: str) -> float:
        self.asked += 1
        return self.value

    def completes(self, text: str, demand: bool = False) -> bool:
        return False


def test_a_rule_pin_with_no_demand_is_vetoed_below_the_bar_and_says_why(pack: RulePack) -> None:
    hits = pack.hits(REPORT, audience="customer")
    pattern = pins.fraud_pattern(hits)
    assert pattern is not None
    found = veto(lambda: Scored(-0.5), pattern, hits, REPORT)
    assert found is not None and found.score == -0.5 and found.bar == VETO
    said = found.explain()
    assert pattern[0][0].id in said and "-0.50" in said and f"{VETO:.3f}" in said
    assert veto(lambda: Scored(VETO), pattern, hits, REPORT) is None  # at the bar the pin stands
    assert veto(lambda: None, pattern, hits, REPORT) is None  # no signal, no veto


def test_a_demand_is_vetoed_only_below_the_far_lower_demand_bar_and_says_so(pack: RulePack) -> None:
    hits = pack.hits(DEMAND, audience="customer")
    pattern = pins.fraud_pattern(hits)
    assert pattern is not None
    assert DEMAND_VETO < VETO
    assert veto(lambda: Scored(VETO - 0.01), pattern, hits, DEMAND) is None  # a no-demand pin's veto keeps it
    assert veto(lambda: Scored(DEMAND_VETO), pattern, hits, DEMAND) is None  # at the bar the pin stands
    found = veto(lambda: Scored(DEMAND_VETO - 0.5), pattern, hits, DEMAND)
    assert found is not None and found.bar == DEMAND_VETO
    assert "instruction or payment under way, but" in found.explain() and f"{DEMAND_VETO:.3f}" in found.explain()


def test_customer_pins_drop_a_vetoed_pattern_only_with_the_signal(
        pack: RulePack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pins, "shipped_signal", lambda: Scored(-0.5))
    assert pins.customer_pins(pack, REPORT, KNOWN) == []
    assert [p.rule_id for p in pins.customer_pins(pack, REPORT, KNOWN, complete=False)] == [
        pins.fraud_pattern(pack.hits(REPORT, audience="customer"))[0][0].id]  # type: ignore[index]
    monkeypatch.setattr(pins, "shipped_signal", lambda: Scored(0.0))
    assert [p.scenario for p in pins.customer_pins(pack, REPORT, KNOWN)] == [pins.FRAUD]


@pytest.mark.parametrize(("text", "pinned"), [
    (REPORT, False),
    ("我奶奶以前接过冒充社保局的电话，想帮她把手机银行关掉", False),
    ("有冒充海关的人给我打过电话，我没多说，需要挂失吗", False),
    ("我妈之前接到冒充医保局的来电，我想给她开个大额转账提醒", False),
    ("有个自称公安的人打电话说我涉嫌洗钱", True),  # terse, no demand, but the signal reads a scam
    (DEMAND, True),
])
def test_the_shipped_veto_drops_past_calls_and_keeps_scams(pack: RulePack, text: str, pinned: bool) -> None:
    assert (pins.FRAUD in [p.scenario for p in pins.customer_pins(pack, text, KNOWN)]) == pinned


def test_round_13_probes_the_veto_loses_no_scam(pack: RulePack) -> None:
    rows = [json.loads(line) for line in PROBES_R13.read_text("utf-8").splitlines()]
    pinned = [pins.FRAUD in [p.scenario for p in pins.customer_pins(pack, r["text"], KNOWN)] for r in rows]
    assert all(p for p, r in zip(pinned, rows, strict=True) if r["scam"])
    assert sum(p for p, r in zip(pinned, rows, strict=True) if not r["scam"]) <= 1


def _probe_texts() -> list[str]:
    return [json.loads(line)["text"] for path in (PROBES, PROBES_R11)
            for line in path.read_text("utf-8").splitlines() if line.strip()]


def test_completes_many_is_completes_of_each_text_with_or_without_vectors() -> None:
    from assist.text.normalise import normalise

    signal = pins.shipped_signal()
    assert signal is not None
    texts = [*_probe_texts(), "转账", "a"]
    norms = [normalise(t) for t in texts]
    alone = [signal.completes(t) for t in texts]
    assert any(alone) and not all(alone)
    assert signal.completes_many(norms) == alone
    assert signal.completes_many(norms, signal.encoder.encode(norms)) == alone
    assert signal.completes_many([]) == []


def test_batch_pins_are_each_utterances_pins(pack: RulePack) -> None:
    from assist.text.normalise import normalise

    signal = pins.shipped_signal()
    assert signal is not None
    texts = _probe_texts()
    norms = [normalise(t) for t in texts]
    known = {pins.FRAUD, *(rule.pin for rule in pack.rules if rule.pin is not None)}
    each = [pins.customer_pins(pack, t, known) for t in texts]
    assert pins.customer_pins_many(pack, texts, known, norms) == each
    vectors = signal.encoder.encode(norms)
    assert pins.customer_pins_many(pack, texts, known, norms, (signal.encoder.model_id, vectors)) == each
    wrong = np.zeros_like(vectors)  # another encoder's vectors are not read
    assert pins.customer_pins_many(pack, texts, known, norms, ("another", wrong)) == each


class AlwaysMany(Always):
    def scores_many(self, normalised: Sequence[str], vectors: np.ndarray | None = None) -> list[float]:
        return [1.0] * len(normalised)

    def bar(self, norm: str, demand: bool = False) -> float:
        return self.threshold


def test_batch_pins_complete_what_the_signal_completes(pack: RulePack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pins, "shipped_signal", lambda: AlwaysMany())
    texts = ["A stranger on the phone asked me something odd", "What is the fee to receive money?"]
    found = pins.customer_pins_many(pack, texts, KNOWN, texts)
    assert [[p.rule_id for p in one] for one in found] == [[pins.COMPLETION], []]


def test_batch_pins_apply_the_veto_as_one_utterances_pins_do(pack: RulePack) -> None:
    from assist.text.normalise import normalise

    texts = [REPORT, "我奶奶以前接过冒充社保局的电话，想帮她把手机银行关掉", DEMAND]
    each = [pins.customer_pins(pack, t, KNOWN) for t in texts]
    assert pins.customer_pins_many(pack, texts, KNOWN, [normalise(t) for t in texts]) == each
    assert [pins.FRAUD in [p.scenario for p in one] for one in each] == [False, False, True]


def test_batch_pins_apply_the_demand_veto_as_one_utterances_pins_do(
        pack: RulePack, monkeypatch: pytest.MonkeyPatch) -> None:
    class Low(Scored):
        def scores_many(self, normalised: Sequence[str], vectors: np.ndarray | None = None) -> list[float]:
            return [self.score(t) for t in normalised]

        def bar(self, norm: str, demand: bool = False) -> float:
            return 0.5

    for value, pinned in ((DEMAND_VETO - 0.1, False), (DEMAND_VETO, True)):
        monkeypatch.setattr(pins, "shipped_signal", lambda value=value: Low(value))
        one = pins.customer_pins(pack, DEMAND, KNOWN)
        assert pins.customer_pins_many(pack, [DEMAND], KNOWN, [DEMAND]) == [one]
        assert (pins.FRAUD in [p.scenario for p in one]) == pinned


OWN_ASKS = ("游戏客服让我提供游戏账号和密码帮我找回装备",  # a game's own support, about the game's own account
            "我先生在提款機前面不會操作轉帳，我在電話上教他，要按哪一個選項",  # a wife guiding her husband
            "我儿子让我给他转五千块")
STRANGERS_ASKS = ("让我把卡里的钱全部转到一个新账户，今天必须转完", "一个说是我外甥的人打电话来，让我今天转钱")


@pytest.mark.parametrize("text", OWN_ASKS)
def test_an_ask_by_the_customers_own_people_is_theirs(pack: RulePack, text: str) -> None:
    hits = pack.hits(text, audience="customer")
    assert pins.own_asker(hits) and not pins._demanded(hits)


@pytest.mark.parametrize("text", STRANGERS_ASKS)
def test_an_ask_by_no_one_known_or_by_a_claimed_relative_is_a_strangers(pack: RulePack, text: str) -> None:
    hits = pack.hits(text, audience="customer")
    assert not pins.own_asker(hits) and pins._demanded(hits)


class Bars(Scored):
    """A stand-in signal scoring every text 0.5: the demand bar (0.3) completes it, the usual bar (0.7) not."""

    def __init__(self) -> None:
        super().__init__(0.5)

    def bar(self, norm: str, demand: bool = False) -> float:
        return 0.3 if demand else 0.7

    def completes(self, text: str, demand: bool = False) -> bool:
        return self.value >= self.bar(text, demand)

    def scores_many(self, normalised: Sequence[str], vectors: np.ndarray | None = None) -> list[float]:
        return [self.value] * len(normalised)


def test_the_demand_bar_is_for_a_strangers_demand_not_for_the_customers_own_people(
        pack: RulePack, monkeypatch: pytest.MonkeyPatch) -> None:
    """scam40's demand bar completed a game's own support and a wife at the cash machine (twenty-ninth round)."""
    from assist.text.normalise import normalise

    monkeypatch.setattr(pins, "shipped_signal", Bars)
    half_read = [OWN_ASKS[0], OWN_ASKS[1], STRANGERS_ASKS[0]]
    for text in half_read:
        assert pins.partial_pattern(pack.hits(text, audience="customer"))
    each = [pins.FRAUD in [p.scenario for p in pins.customer_pins(pack, t, KNOWN)] for t in half_read]
    assert each == [False, False, True]
    many = pins.customer_pins_many(pack, half_read, KNOWN, [normalise(t) for t in half_read])
    assert [pins.FRAUD in [p.scenario for p in one] for one in many] == each


def test_a_pin_the_customers_own_people_ask_for_is_vetoed_under_the_own_bar_and_says_so(pack: RulePack) -> None:
    text = "我外甥说他被拘留了，叫我打保释金"  # a known person's ask with a pretext: the rules pin it
    hits = pack.hits(text, audience="customer")
    pattern = pins.fraud_pattern(hits)
    assert pattern is not None and pins.own_asker(hits)
    assert DEMAND_VETO < OWN_VETO < VETO
    assert veto(lambda: Scored(OWN_VETO - 0.01), pattern, hits, text) is None  # read as anyone's demand: it stands
    found = veto(lambda: Scored(OWN_VETO - 0.01), pattern, hits, text, own=True)
    assert found is not None and found.bar == OWN_VETO and "own people" in found.explain()
    assert veto(lambda: Scored(OWN_VETO), pattern, hits, text, own=True) is None
