"""The semantic signal: a deterministic classifier trained on the exemplars alone, thresholds
from its cross-validation, a checked cache, flags that say which signal fired, several categories
per clause; exemplars written fresh; and the console review's drafts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from assist.compliance import semantic
from assist.compliance.rule_files import draft_files
from assist.compliance.rules import RulePack
from assist.compliance.semantic import ApprovedTexts, SemanticSignal, build_signal, fit, training_set
from assist.errors import UnavailableError
from assist.library.loader import SHIPPED_LIBRARY
from assist.text.normalise import normalise
from tests.overlap import near_pairs

REPO = Path(__file__).resolve().parents[1]
DEV_DRAFTS = REPO.parent / "shared" / "eval" / "drafts_dev.jsonl"
"""The shared dev drafts: measured on, never trained on (the library's own labelled drafts are
``rules/drafts/*.jsonl``, measured sets that now train the signal)."""
CONSOLE_MISSES = [
    ("验证码发您手机了，念一下", "credential_request"),
    ("找别的部门去", "blame_shifting"),
    ("年化5%是肯定的", "promise_guaranteed_return"),
    ("你自己操作失误怪谁", "disparaging_customer"),
]
CONSOLE_CLEAN = ["请勿向任何人透露验证码", "对方让您转到“安全账户”，这是诈骗"]


class Axes:
    """A tiny deterministic encoder: each text maps to a fixed unit vector by its first word."""

    model_id = "axes-test"
    table: ClassVar[dict[str, list[float]]] = {
        "cred": [1, 0, 0], "move": [0, 1, 0], "both": [0.6, 0.6, 0.5], "calm": [0, 0, 1],
    }

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = [self.table.get(t.split()[0] if t.split() else "", [0.1, 0.1, 0.1]) for t in texts]
        vectors = np.asarray(rows, dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


TINY = (
    ["cred a", "cred b", "move a", "move b", "both a", "both a", "calm a", "calm b", "calm c"],
    ["credential_request"] * 2 + ["unsafe_transfer_instruction"] * 2
    + ["credential_request", "unsafe_transfer_instruction"] + ["credential_request"] * 3,
    [True] * 6 + [False] * 3,
)


def tiny_signal(tmp_path: Path) -> SemanticSignal:
    return build_signal(*TINY, Axes(), cache=tmp_path)


def test_one_text_can_carry_several_categories(tmp_path: Path) -> None:
    signal = tiny_signal(tmp_path)
    [flags] = signal.flags(["both of them please"])
    assert {f.category for f in flags} == {"credential_request", "unsafe_transfer_instruction"}
    assert all(f.exemplar == "both a" and f.score >= f.threshold for f in flags)
    assert signal.flags(["calm words only"]) == [[]]


def test_a_negated_clause_is_flagged_only_where_violations_are_negative_statements(tmp_path: Path) -> None:
    """A category whose violating exemplars hold a negation at least as often as its lookalikes
    (a refusal) may flag a clause holding one; one whose lookalikes are the negated form (a code
    request) may not."""
    texts, cats, bad = TINY
    negated = [False, False, True, True, False, False, True, False, False]
    assert semantic.negation_ok(cats, bad, negated) == frozenset({"unsafe_transfer_instruction"})
    assert semantic.negation_ok(cats, bad, ()) == frozenset()
    signal = build_signal(texts, cats, bad, Axes(), cache=tmp_path, negated=negated)
    [plain, held] = signal.flags(["both of them please", "both of them please"], negated=[False, True])
    assert {f.category for f in plain} == {"credential_request", "unsafe_transfer_instruction"}
    assert {f.category for f in held} == {"unsafe_transfer_instruction"}


def test_the_whole_draft_must_also_reach_the_threshold(tmp_path: Path) -> None:
    """With the draft as context, a clause is flagged only when the whole draft scores at the
    threshold too: a clause read alone as a code request, inside calm talk, is not."""
    signal = tiny_signal(tmp_path)
    [alone] = signal.flags(["cred please"])
    assert {f.category for f in alone} == {"credential_request"}
    assert signal.flags(["cred please"], context="cred please, now") == [alone]
    assert signal.flags(["cred please"], context="calm words around it") == [[]]


def test_adjacent_clauses_are_scored_together() -> None:
    """Two short clauses, each too short to score alone, are scored as one unit."""
    from assist.compliance.rules import _Context, _units

    ctx = _Context.of("您放心投，真亏了算我的。")
    assert [ctx.norm[s:e] for s, e in _units(ctx)] == ["您放心投,真亏了算我的"]


def test_a_question_is_scored_with_the_remark_on_it() -> None:
    """A question's last clause and the next sentence's first are one unit: sarcasm is often a
    question about a mishap and a "praise" after it; two statements are not joined."""
    from assist.compliance.rules import _Context, _units

    asked = _Context.of("卡又锁住了？可真有本事。")
    assert "卡又锁住了?可真有本事" in [asked.norm[s:e] for s, e in _units(asked)]
    told = _Context.of("卡已经锁住了。可以去柜台解锁。")
    assert all("。" not in told.norm[s:e] for s, e in _units(told))


def test_a_sentence_of_three_clauses_or_more_is_also_scored_whole() -> None:
    """Clauses, pairs, and the whole sentence when it has more than two clauses: clauses apart
    (the first and the third) are read together; a pair's sentence adds nothing."""
    from assist.compliance.rules import _Context, _units

    long = _Context.of("您就多练几遍吧，跟我们没关系，您这边年纪大了。")
    read = [long.norm[s:e] for s, e in _units(long)]
    assert read[-1] == "您就多练几遍吧,跟我们没关系,您这边年纪大了"
    assert len(read) == len(set(read)) == 3  # its clauses are too short alone: two pairs, the sentence
    short = _Context.of("您放心投，真亏了算我的。")
    assert len(_units(short)) == 1


def test_training_is_deterministic_and_needs_no_draft_set() -> None:
    data = training_set(*TINY)
    vectors = Axes().encode(list(data.texts))
    first, again = fit(data, vectors), fit(data, vectors)
    assert first[1] == again[1]
    assert all(np.array_equal(a, b) for a, b in zip(
        (first[0].vector, first[0].gram, first[0].bias), (again[0].vector, again[0].gram, again[0].bias), strict=True))


@pytest.mark.parametrize("held", [3, semantic.FOLDS])
def test_cross_validation_equals_refitting_without_each_fold(held: int) -> None:
    """The thresholds' held-out scores come from one inverse; they must be what a model trained
    without the fold would give: a fold by position, and a writer's fold (larger, unequal)."""
    rng = np.random.default_rng(7)
    texts = [f"t{i} " + " ".join(rng.choice(list("abcdefgh"), 4)) for i in range(40)]
    cats = ["credential_request", "jargon"] * 20
    bad = [i % 3 != 0 for i in range(40)]
    data = training_set(texts, cats, bad, groups=[""] * 25 + ["drafts_a.jsonl"] * 15)
    vectors = rng.normal(size=(len(data.texts), 6))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    grams = semantic.gram_matrix(data.texts)
    kernel = (grams @ grams.T).toarray() + vectors @ vectors.T + 1.0
    fold = np.flatnonzero(data.folds == held)
    rest = np.flatnonzero(data.folds != held)
    dual = np.linalg.solve(kernel[np.ix_(rest, rest)] + semantic.RIDGE * np.eye(rest.size), data.targets[rest])
    refit = kernel[np.ix_(fold, rest)] @ dual
    full, inverse = semantic.ridge_solve(kernel + semantic.RIDGE * np.eye(len(kernel)), data.targets)
    assert np.allclose(full, np.linalg.solve(kernel + semantic.RIDGE * np.eye(len(kernel)), data.targets))
    shortcut = data.targets[fold] - np.linalg.solve(semantic.symmetric_block(inverse, fold), full[fold])
    assert np.allclose(refit, shortcut, atol=1e-8)


def test_a_writers_exemplars_are_held_out_together() -> None:
    """Each named group (a labelled-draft set) is one fold of its own, its compliant texts'
    clauses with it; unnamed exemplars and approved replies keep their folds by position."""
    texts = [f"t{i} 您好这是第{i}句话内容" for i in range(30)] + ["w 第一句很长的内容在这里, 第二句也很长的内容在这里"]
    cats = ["jargon"] * 30 + [semantic.EVERY_CATEGORY]
    bad = [i % 2 == 0 for i in range(30)] + [False]
    groups = [""] * 20 + ["a.jsonl"] * 5 + ["b.jsonl"] * 5 + ["a.jsonl"]
    data = training_set(texts, cats, bad, approved=["批准的回复内容很长很长"], groups=groups)
    fold = dict(zip(data.texts, data.folds, strict=True))
    plain = training_set(texts, cats, bad, approved=["批准的回复内容很长很长"])
    by_position = dict(zip(plain.texts, plain.folds, strict=True))
    assert [fold[normalise(t)] for t in texts[:20]] == [by_position[normalise(t)] for t in texts[:20]]
    assert {fold[normalise(t)] for t in texts[20:25]} == {fold[normalise(texts[30])]} == {semantic.FOLDS}
    assert {fold[normalise(t)] for t in texts[25:30]} == {semantic.FOLDS + 1}
    assert {f for t, f in fold.items() if t in normalise(texts[30])} == {semantic.FOLDS}  # its clauses too
    assert fold[normalise("批准的回复内容很长很长")] == 31 % semantic.FOLDS


def test_a_signal_with_writer_folds_is_cached_apart(tmp_path: Path) -> None:
    """Grouping changes the thresholds, so it is part of the cache key."""
    key = semantic.exemplar_key(*TINY, "m")
    assert key != semantic.exemplar_key(*TINY, "m", groups=["x.jsonl"] * len(TINY[0]))
    assert key == semantic.exemplar_key(*TINY, "m", groups=())


def test_a_clean_labelled_draft_is_a_lookalike_of_every_category() -> None:
    """Filed under EVERY_CATEGORY: a negative in every column, counted in the false-flag budget,
    and no column of its own."""
    texts, cats, bad = TINY
    data = training_set([*texts, "calm but careful"], [*cats, semantic.EVERY_CATEGORY], [*bad, False])
    assert data.categories == training_set(*TINY).categories
    row = data.texts.index("calm but careful")
    assert (data.targets[row] == -1).all() and data.compliant[row]


def test_thresholds_allot_the_false_flag_budget_where_it_finds_most() -> None:
    """Two categories share the compliant texts they may flag: one whose violations sit just
    above a few compliant scores (each allowed flag finds more) gets more of them than one whose
    violations are far below (flags there find nothing), within the per-category cap, the total
    as one budget for each, and more violations found than with one budget for each."""
    compliant = 1000
    texts = [f"t{i}" for i in range(compliant + 200)]
    cats = ["jargon", "credential_request"] * (len(texts) // 2)
    bad = [i >= compliant for i in range(len(texts))]
    data = training_set(texts, cats, bad)
    rows = np.array([data.texts.index(normalise(t)) for t in texts])
    held = np.full(data.targets.shape, -1.0)
    steps = np.linspace(0.9, 0.5, compliant)  # compliant scores, highest first
    held[rows[:compliant], 0] = held[rows[:compliant], 1] = steps
    j, c = data.categories.index("jargon"), data.categories.index("credential_request")
    violating = rows[compliant:]
    jargon = violating[data.targets[violating, j] > 0]
    held[jargon, j] = np.linspace(steps[14] + 1e-4, steps[0] - 1e-4, jargon.size)  # reached by flags 1-14
    credential = violating[data.targets[violating, c] > 0]
    held[credential, c] = np.linspace(0.0, 0.45, credential.size)  # below every compliant score
    fits = {f.category: f for f in semantic.thresholds(held, data)}
    uniform = semantic.MEAN_FALSE_FLAG_BUDGET
    assert fits["jargon"].false_flags > uniform > fits["credential_request"].false_flags
    assert fits["jargon"].false_flags <= semantic.FALSE_FLAG_BUDGET
    assert fits["jargon"].false_flags + fits["credential_request"].false_flags <= 2 * uniform
    alone = (held[jargon, j] >= steps[int(uniform * compliant)] + 1e-6).mean()
    assert fits["jargon"].recall > alone


def test_the_budget_goes_where_a_flag_finds_the_most_violations_not_the_most_recall() -> None:
    """Each flag of the shared budget buys violating texts, counted: a category whose next flag
    finds two violations (of many) gets it before one whose next flag finds one (of few), though
    that one's recall fraction would rise more. Allotted by recall fraction, the same budget found
    half as many violations."""
    compliant = 1000
    texts = [f"t{i}" for i in range(compliant)] + [f"j{i}" for i in range(200)] + [f"c{i}" for i in range(20)]
    cats = ["jargon", "credential_request"] * (compliant // 2) + ["jargon"] * 200 + ["credential_request"] * 20
    bad = [i >= compliant for i in range(len(texts))]
    data = training_set(texts, cats, bad)
    rows = np.array([data.texts.index(normalise(t)) for t in texts])
    held = np.full(data.targets.shape, -1.0)
    steps = np.linspace(0.9, 0.5, compliant)  # compliant scores, highest first
    j, c = data.categories.index("jargon"), data.categories.index("credential_request")
    held[rows[:compliant], j] = held[rows[:compliant], c] = steps
    between = (steps[1:101] + steps[:100]) / 2  # one score inside each of the first 100 gaps
    held[rows[compliant:compliant + 200], j] = np.repeat(between, 2)  # two violations a gap
    held[rows[compliant + 200:], c] = between[:20]  # one violation a gap
    fits = {f.category: f for f in semantic.thresholds(held, data)}
    flags = {k: round(f.false_flags * compliant) for k, f in fits.items()}
    found = {"jargon": round(fits["jargon"].recall * 200),
             "credential_request": round(fits["credential_request"].recall * 20)}
    assert flags["jargon"] > flags["credential_request"], flags
    assert sum(flags.values()) <= 2 * int(semantic.MEAN_FALSE_FLAG_BUDGET * compliant)
    assert found["jargon"] == 2 * flags["jargon"] and found["credential_request"] == flags["credential_request"]
    by_fraction = min(int(semantic.FALSE_FLAG_BUDGET * compliant), 20)  # every flag to the 20, one each
    assert sum(found.values()) >= 2 * by_fraction


def test_a_damaged_cache_is_rebuilt_not_used(tmp_path: Path) -> None:
    first = tiny_signal(tmp_path)
    [cached] = list(tmp_path.glob("*.npz"))
    data = bytearray(cached.read_bytes())
    data[-200] ^= 0xFF
    cached.write_bytes(bytes(data))
    again = tiny_signal(tmp_path)
    assert again.thresholds == first.thresholds
    assert np.array_equal(again.weights.gram, first.weights.gram)
    assert np.array_equal(again.vectors, first.vectors)


def test_processes_starting_on_an_empty_cache_train_the_signal_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Training takes the cache's training lock and reads the cache again once it holds it: the
    second of two trainings started together waits, then uses what the first wrote (the shipped
    pack's training takes ~9 GB, and a team server's workers used to each train it)."""
    import threading
    import time

    trained: list[int] = []
    train = semantic._train

    def slow_train(*args: object, **kwargs: object) -> dict[str, np.ndarray]:
        trained.append(threading.get_ident())
        time.sleep(0.5)  # long enough that the other thread reaches the lock meanwhile
        return train(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(semantic, "_train", slow_train)
    start = threading.Barrier(2)
    signals: list[SemanticSignal] = []

    def run() -> None:
        start.wait()
        signals.append(tiny_signal(tmp_path))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(trained) == 1 and len(signals) == 2
    assert signals[0].thresholds == signals[1].thresholds
    assert not list(tmp_path.glob(".training.holder"))


def test_the_draft_gate_lets_a_draft_just_under_the_threshold_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit over its threshold is flagged when the whole draft scores at most
    DRAFT_GATE_TOLERANCE under it, and not when the draft scores lower."""
    signal = tiny_signal(tmp_path)
    column = list(signal.weights.categories).index("credential_request")
    threshold = signal.thresholds["credential_request"]
    for under, flagged in ((semantic.DRAFT_GATE_TOLERANCE * 0.5, True), (semantic.DRAFT_GATE_TOLERANCE * 2, False)):
        whole = np.full(len(signal.weights.categories), -9.0)
        whole[column] = threshold - under
        monkeypatch.setattr(signal, "_whole_scores", lambda normalised, row=whole: row)
        [found] = signal.flags(["cred please"], context="cred please, and more")
        assert ("credential_request" in {f.category for f in found}) is flagged


def test_a_command_hears_of_a_training_and_of_a_wait_for_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A training takes minutes (longer queued behind another process's): ``emit`` is told when
    this process trains, and whom it waits for; a signal read from the cache says nothing."""
    from assist.folder_lock import TRAINING, folder_lock

    heard: list[str] = []
    build_signal(*TINY, Axes(), cache=tmp_path / "first", emit=heard.append)
    assert len(heard) == 1 and "training the compliance signal on 9 exemplars" in heard[0]
    heard.clear()
    build_signal(*TINY, Axes(), cache=tmp_path / "first", emit=heard.append)
    assert heard == []

    folder = tmp_path / "second"
    monkeypatch.setenv("ASSIST_BUILD_WAIT", "0.2")
    with folder_lock(folder, TRAINING), pytest.raises(UnavailableError, match="held for a training"):
        build_signal(*TINY, Axes(), cache=folder, emit=heard.append)
    assert len(heard) == 1 and "another training of" in heard[0] and "waiting up to" in heard[0]


def test_a_cache_that_cannot_be_written_still_trains(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    signal = build_signal(*TINY, Axes(), cache=blocked / "semantic")
    assert signal.thresholds == tiny_signal(tmp_path / "cache").thresholds


@pytest.mark.parametrize(("text", "category"), CONSOLE_MISSES)
def test_console_misses_are_flagged_by_the_rules(pack: RulePack, text: str, category: str) -> None:
    assert category in {v.category for v in pack.check(text)}


@pytest.mark.parametrize("text", CONSOLE_CLEAN)
def test_console_clean_drafts_stay_clean(pack: RulePack, text: str) -> None:
    assert pack.check(text) == []


def test_no_console_draft_is_copied_into_a_rule_or_exemplar() -> None:
    shipped = "".join(p.read_text(encoding="utf-8") for p in (SHIPPED_LIBRARY / "rules").glob("*.yaml"))
    plain = normalise(shipped).replace("…", "")
    for text, _ in CONSOLE_MISSES:
        core = normalise(text).rstrip("。")
        assert core not in plain, text
        for clause in core.split(","):
            assert len(clause) < 5 or clause not in plain, clause


@pytest.mark.model
def test_semantic_only_flags_say_so_and_name_the_exemplar(pack: RulePack) -> None:
    from assist.encoders.base import STATIC_MODEL
    from assist.encoders.registry import get_encoder

    signal = pack.semantic_signal(get_encoder(STATIC_MODEL))
    missed = [e for e in pack.exemplars if e.violating and e.category not in {v.category for v in pack.check(e.text)}]
    assert missed, "every violating exemplar is caught by a rule: nothing to show"
    shown = 0
    for exemplar in missed:
        found = [v for v in pack.check(exemplar.text, semantic=signal) if v.category == exemplar.category]
        for violation in found:
            assert violation.rule_id == f"semantic.{exemplar.category}"
            assert violation.explanation.startswith("semantic signal only")
            assert "score" in violation.explanation and "「" in violation.explanation
            shown += 1
    assert shown


@pytest.mark.model
def test_a_sentence_read_whole_finds_what_its_clauses_and_pairs_do_not(pack: RulePack) -> None:
    """A remark on age after an unrelated clause: the sentence read whole is one of the units the
    check scores, it scores higher for disparaging than any clause or pair of it, and the check
    flags it. (Whether a clause alone also reaches the threshold moves each time the signal
    retrains on a joined writer's drafts, so that is not asserted.)"""
    from assist.compliance.rules import _Context, _units
    from assist.encoders.base import STATIC_MODEL
    from assist.encoders.registry import get_encoder

    signal = pack.semantic_signal(get_encoder(STATIC_MODEL))
    text = "您就多练几遍吧，跟我们没关系，您这边年纪大了。"
    ctx = _Context.of(text)
    units = _units(ctx)
    scores = signal.scores([ctx.norm[s:e] for s, e in units])
    column = signal.weights.categories.index("disparaging_customer")
    whole = units.index((0, len(ctx.norm.rstrip("。"))))
    parts = np.delete(scores[:, column], whole)
    assert scores[whole, column] > parts.max()
    assert signal.thresholds["disparaging_customer"] <= scores[whole, column]
    found = [v for v in pack.check(text, semantic=signal) if v.category == "disparaging_customer"]
    assert [v.rule_id for v in found] == ["semantic.disparaging_customer"]


@pytest.mark.model
@pytest.mark.parametrize("text", CONSOLE_CLEAN)
def test_console_clean_drafts_stay_clean_with_the_semantic_signal(pack: RulePack, text: str) -> None:
    from assist.encoders.base import STATIC_MODEL
    from assist.encoders.registry import get_encoder

    assert pack.check(text, semantic=pack.semantic_signal(get_encoder(STATIC_MODEL))) == []


def test_approved_replies_train_as_compliant_but_stay_out_of_the_budget() -> None:
    texts, cats, bad = TINY
    data = training_set(texts, cats, bad, approved=["我先帮您核对这笔扣款，再告诉您退回时间。"])
    plain = training_set(texts, cats, bad)
    added = [i for i, t in enumerate(data.texts) if t not in plain.texts]
    assert added and (data.targets[added] == -1).all()
    assert not data.compliant[added].any()
    assert data.compliant.sum() == plain.compliant.sum()


def test_approved_texts_are_read_to_train_only_and_their_key_retrains(tmp_path: Path) -> None:
    reads: list[str] = []

    def read(key: str) -> ApprovedTexts:
        return ApprovedTexts(key, lambda: reads.append(key) or ["calm d"])

    first = build_signal(*TINY, Axes(), cache=tmp_path, approved=read("v1"))
    again = build_signal(*TINY, Axes(), cache=tmp_path, approved=read("v1"))
    assert reads == ["v1"] and again.thresholds == first.thresholds
    build_signal(*TINY, Axes(), cache=tmp_path, approved=read("v2"))
    assert reads == ["v1", "v2"]


def test_negation_flags_are_kept_apart_and_read_again_only_under_another_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The flags are computed once per reading key and kept beside the signal; another reading
    (a scope term changed) computes them again without retraining; a damaged entry is
    recomputed, never used."""
    reads: list[str] = []
    held = [False, False, True, True, False, False, True, False, False]

    def flags(key: str, negated: list[bool]) -> semantic.NegationFlags:
        return semantic.NegationFlags(key, lambda: reads.append(key) or negated)

    first = build_signal(*TINY, Axes(), cache=tmp_path, negated=flags("r1", held))
    assert first.negation_ok == frozenset({"unsafe_transfer_instruction"})
    assert build_signal(*TINY, Axes(), cache=tmp_path, negated=flags("r1", held)).negation_ok == first.negation_ok
    assert reads == ["r1"]

    def never(*args: object) -> None:
        raise AssertionError("retrained for a change of the negation flags")

    monkeypatch.setattr(semantic, "_train", never)
    other = build_signal(*TINY, Axes(), cache=tmp_path, negated=flags("r2", [False] * 9))
    assert reads == ["r1", "r2"] and other.negation_ok == frozenset()
    key = semantic.exemplar_key(*TINY, Axes.model_id)
    entry, _ = semantic.negation_path(tmp_path, key, flags("r1", held))
    assert entry.parent.name == semantic.NEGATION_FOLDER and len(list(entry.parent.glob("*.npz"))) == 2
    entry.write_bytes(entry.read_bytes()[:-40])
    again = build_signal(*TINY, Axes(), cache=tmp_path, negated=flags("r1", held))
    assert reads == ["r1", "r2", "r1"] and again.negation_ok == first.negation_ok
    assert [p.name for p in tmp_path.glob("*.npz")] == [f"{key[:32]}.npz"]  # one signal, trained once


@pytest.mark.model
def test_the_shipped_replies_raise_no_semantic_flag(pack: RulePack) -> None:
    """The library's approved replies are the house style: the signal must not flag them."""
    from assist.compliance.rules import approved_replies
    from assist.encoders.base import STATIC_MODEL
    from assist.encoders.registry import get_encoder

    signal = pack.semantic_signal(get_encoder(STATIC_MODEL))
    replies = approved_replies()
    assert len(replies) > 300
    assert [(r, v.rule_id) for r in replies for v in pack.check(r, semantic=signal)
            if v.rule_id.startswith("semantic.")] == []


@pytest.mark.model
def test_every_category_is_fitted_within_its_false_flag_budget(pack: RulePack) -> None:
    from assist.compliance.rules import AGENT_CATEGORIES
    from assist.encoders.base import STATIC_MODEL
    from assist.encoders.registry import get_encoder

    fits = {f.category: f for f in pack.semantic_signal(get_encoder(STATIC_MODEL)).fits}
    assert set(fits) == set(AGENT_CATEGORIES)
    for fitted in fits.values():
        assert fitted.false_flags <= semantic.FALSE_FLAG_BUDGET, fitted
        assert fitted.recall >= 0.2, fitted  # cross-validated on exemplars it did not see


def draft_texts(paths: Sequence[Path]) -> list[str]:
    return [normalise(json.loads(line)["text"]) for p in paths
            for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


LATER_DRAFT_NEAR_AN_EXEMPLAR = {
    "聽聲音就知道是您本人，不用再問了。": "听声音就知道是您,老客户了,不用核对了。",
    "退款慢都是商家拖的，我们这边没责任。": "退票款是售票网的事,我们这边没有责任。",
    "跟您说话真累，能不能让您家里懂的人来？": "跟您说话真累,能不能换个懂行的家人来打。",
    "你個KYC未update，所以hold住。": "你个户口kyc未update,所以要补edd先至得。",
}
"""Exemplars and the normalised drafts of outside sets written after them, blind, that landed within ratio
0.7 of them: the first exemplar (2026-12-05, 1ead015) near a drafts_v41 line, the next two (2026-12-03,
0d95f48; 2026-12-05, de3ec29) near drafts_v40 lines (2026-12-07), the last (2026-12-03, 0d95f48) near a
drafts_v45 line (2026-12-07). Each set was measured before it was
joined, and its measured figure counted the pair (docs/quality.md); the exemplars are no copies of them."""


def test_no_exemplar_is_close_to_a_labelled_draft(pack: RulePack) -> None:
    """Exemplars are written fresh: none within difflib ratio 0.7 of a labelled draft, the
    library's measured sets v1, v2 ... (so each set's leave-one-out figure is honest) or the
    shared dev set's (a frozen set not yet measured is never read here). drafts_h2 and h6 were
    written before this rule and sit near 14 exemplars: their leave-one-out figures are not clean.
    A later outside draft that lands near an older exemplar is listed in LATER_DRAFT_NEAR_AN_EXEMPLAR."""
    files = {path.name for path in (SHIPPED_LIBRARY / "rules").glob("exemplars*.yaml")}
    assert "exemplars_outside.yaml" in files
    assert {Path(e.source).name for e in pack.exemplars} >= files  # every exemplar file is read, so checked
    measured = [p for p in draft_files(SHIPPED_LIBRARY) if p.name.startswith("drafts_v")]
    assert len(measured) >= 12
    lines = draft_texts([*measured, DEV_DRAFTS] if DEV_DRAFTS.is_file() else measured)
    written = [e for e in pack.exemplars if not e.source.endswith(".jsonl")]
    texts = [normalise(exemplar.text) for exemplar in written]
    close = [(written[j].text, lines[i]) for i, j, _ in near_pairs(lines, texts, 0.7)]
    unlisted = [(exemplar, line) for exemplar, line in close if LATER_DRAFT_NEAR_AN_EXEMPLAR.get(exemplar) != line]
    assert not unlisted, unlisted[:5]


OUTSIDE_DRAFTS_ON_A_DEV_LINE = frozenset({"额度不能调,就这样。"})
"""Normalised outside drafts, written blind, that landed on a shared dev draft: a drafts_v47 line (written
2026-12-07, joined at the thirty-third round's start) is a short bare refusal the dev set also holds. The
set's lines are never edited, so from that join the dev figure counts this one draft in-sample for the
signal; the rules alone flagged it before the join."""


def test_no_labelled_draft_is_close_to_the_shared_dev_set() -> None:
    """The library's labelled drafts train the signal; the shared dev set is only measured on. A blind
    outside draft that lands on a dev line is listed in OUTSIDE_DRAFTS_ON_A_DEV_LINE, not hidden."""
    if not DEV_DRAFTS.is_file():
        pytest.skip("no shared dev set beside the checkout")
    dev = draft_texts([DEV_DRAFTS])
    close = near_pairs(dev, draft_texts(draft_files(SHIPPED_LIBRARY)), 0.7)
    assert not [i for i, _, _ in close if dev[i] not in OUTSIDE_DRAFTS_ON_A_DEV_LINE], len(close)


@pytest.mark.model
def test_each_category_has_forty_fresh_exemplars_each_way(pack: RulePack) -> None:
    from assist.compliance.rules import AGENT_CATEGORIES

    for category in AGENT_CATEGORIES:
        for violating in (True, False):
            mine = [e for e in pack.exemplars if e.category == category and e.violating == violating]
            assert len(mine) >= 40 and len({e.language for e in mine}) == 4, (category, violating)


def test_conversation_management_alone_is_not_scored() -> None:
    from assist.compliance.scope import talk_only

    text = "嗯,明白,还有别的事吗?"
    talk = [(0, 1), (2, 4), (5, 11)]
    assert talk_only(text, (0, len(text)), talk)
    refusal = "这个我们这边不做,还有别的事吗?"
    assert not talk_only(refusal, (0, len(refusal)), [(9, 15)])
    assert not talk_only(text, (0, len(text)), [])


@pytest.mark.model
@pytest.mark.parametrize("text", ["嗯，好的，您这边还有其他想问的吗？", "好，明白晒，仲有冇其他嘢要幫手？",
                                  "Okay, got it. Anything else I can do for you today?"])
def test_closing_questions_raise_no_semantic_flag(pack: RulePack, text: str) -> None:
    from assist.encoders.base import STATIC_MODEL
    from assist.encoders.registry import get_encoder

    assert pack.check(text, semantic=pack.semantic_signal(get_encoder(STATIC_MODEL))) == []


def test_closings_that_take_leave_are_conversation_management(pack: RulePack) -> None:
    from assist.compliance.scope import talk_only
    from assist.text.normalise import normalise

    for text in ["嗯，那我就不打扰您了", "好嘅，唔阻你喇", "Okay then, I won't keep you any longer"]:
        norm = normalise(text)
        talk = [h for h in pack._read(text, "agent").phrase_hits.get("scope.talk", [])]
        assert all(talk_only(norm, (s, e), talk) for s, e in _clauses(norm)), text


def _clauses(norm: str) -> list[tuple[int, int]]:
    from itertools import pairwise

    bounds = [-1, *[i for i, ch in enumerate(norm) if ch == ","], len(norm)]
    return [(a + 1, b) for a, b in pairwise(bounds)]


def test_category_margins_take_the_best_of_the_draft_and_its_clauses(tmp_path: Path) -> None:
    """A code request in the second clause of calm talk puts its category at or above the threshold
    (margin >= 0) however the whole reads; calm talk alone stays below every threshold."""
    signal = tiny_signal(tmp_path)
    [[flag]] = signal.flags(["cred please tell me now"])
    margins = signal.category_margins("calm words about the weather today, cred please tell me now")
    assert set(margins) == set(signal.thresholds)
    assert margins[flag.category] >= flag.score - flag.threshold - 1e-6
    assert margins[flag.category] >= 0
    assert all(m < 0 for m in signal.category_margins("calm words about the weather today").values())


def test_top_margin_is_the_highest_category_margin_of_the_draft_and_its_clauses(tmp_path: Path) -> None:
    signal = tiny_signal(tmp_path)
    for text in ["calm words here, cred please now at once", "calm words only, calm again for sure", "cred now"]:
        assert signal.top_margin(text, float("inf")) == pytest.approx(max(signal.category_margins(text).values()))
    text = "calm words here, cred please now at once"  # the whole reads calm, a clause reads cred
    assert signal.top_margin(text, float("-inf")) < signal.top_margin(text, float("inf"))  # clauses skipped


def test_a_draft_scored_for_the_veto_is_flagged_as_a_fresh_signal_flags_it(tmp_path: Path) -> None:
    remembering, fresh = tiny_signal(tmp_path), tiny_signal(tmp_path)
    drafts = ["calm words here, cred please now at once", "cred now", "calm words only, calm again"]
    for draft in drafts:  # the veto scores the whole draft first; the flags then reuse that row
        remembering.top_margin(draft, float("-inf"))
        assert remembering.flags([draft], context=draft) == fresh.flags([draft], context=draft)
    remembering.top_margin(drafts[0], float("-inf"))  # another draft's row is never reused
    assert remembering.flags([drafts[1]], context=drafts[1]) == fresh.flags([drafts[1]], context=drafts[1])


def test_the_kernel_adds_outer_products_block_by_block(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = np.random.default_rng(7).standard_normal((11, 5))
    monkeypatch.setattr(semantic, "KERNEL_BLOCK_ROWS", 4)
    kernel = np.ones((11, 11))
    semantic.add_outer_products(kernel, rows)
    np.testing.assert_allclose(kernel, 1.0 + rows @ rows.T, rtol=1e-12)
