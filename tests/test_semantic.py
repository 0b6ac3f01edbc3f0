"""The semantic signal: deterministic thresholds from the exemplars, a checked cache, flags that
say which signal fired, several categories per clause; and the console review's drafts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import RulePack
from assist.compliance.semantic import SemanticSignal, build_signal, fit_thresholds
from assist.library.loader import SHIPPED_LIBRARY

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
        "cred": [1, 0, 0], "move": [0, 1, 0], "both": [0.7, 0.7, 0.1], "calm": [0, 0, 1],
    }

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = [self.table.get(t.split()[0] if t.split() else "", [0.1, 0.1, 0.1]) for t in texts]
        vectors = np.asarray(rows, dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def tiny_signal(tmp_path: Path) -> SemanticSignal:
    texts = ["cred a", "cred b", "move a", "move b", "calm a", "calm b", "calm c"]
    cats = ["credential_request"] * 2 + ["unsafe_transfer_instruction"] * 2 + ["credential_request"] * 3
    bad = [True, True, True, True, False, False, False]
    return build_signal(texts, cats, bad, Axes(), cache=tmp_path)


def test_one_text_can_carry_several_categories(tmp_path: Path) -> None:
    signal = tiny_signal(tmp_path)
    [flags] = signal.flags(["both of them please"])
    assert {f.category for f in flags} == {"credential_request", "unsafe_transfer_instruction"}
    assert all(f.exemplar and f.score >= f.threshold for f in flags)
    assert signal.flags(["calm words only"]) == [[]]


def test_thresholds_are_deterministic_and_need_no_draft_set(tmp_path: Path) -> None:
    vectors = Axes().encode(["cred", "cred", "move", "calm", "calm"])
    cats = ["credential_request", "credential_request", "unsafe_transfer_instruction",
            "credential_request", "credential_request"]
    bad = [True, True, True, False, False]
    assert fit_thresholds(vectors, cats, bad) == fit_thresholds(vectors, cats, bad)


def test_a_damaged_cache_is_rebuilt_not_used(tmp_path: Path) -> None:
    first = tiny_signal(tmp_path)
    [cached] = list(tmp_path.glob("*.npz"))
    data = bytearray(cached.read_bytes())
    data[-200] ^= 0xFF
    cached.write_bytes(bytes(data))
    again = tiny_signal(tmp_path)
    assert again.thresholds == first.thresholds
    assert np.array_equal(again.vectors, first.vectors)


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_rule_pack(SHIPPED_LIBRARY)


@pytest.mark.parametrize(("text", "category"), CONSOLE_MISSES)
def test_console_misses_are_flagged_by_the_rules(pack: RulePack, text: str, category: str) -> None:
    assert category in {v.category for v in pack.check(text)}


@pytest.mark.parametrize("text", CONSOLE_CLEAN)
def test_console_clean_drafts_stay_clean(pack: RulePack, text: str) -> None:
    assert pack.check(text) == []


def test_no_console_draft_is_copied_into_a_rule_or_exemplar() -> None:
    from assist.text.normalise import normalise

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
@pytest.mark.parametrize("text", CONSOLE_CLEAN)
def test_console_clean_drafts_stay_clean_with_the_semantic_signal(pack: RulePack, text: str) -> None:
    from assist.encoders.base import STATIC_MODEL
    from assist.encoders.registry import get_encoder

    assert pack.check(text, semantic=pack.semantic_signal(get_encoder(STATIC_MODEL))) == []


@pytest.mark.model
def test_each_category_has_forty_fresh_exemplars_each_way(pack: RulePack) -> None:
    from assist.compliance.rules import AGENT_CATEGORIES

    for category in AGENT_CATEGORIES:
        for violating in (True, False):
            mine = [e for e in pack.exemplars if e.category == category and e.violating == violating]
            assert len(mine) >= 40 and len({e.language for e in mine}) == 4, (category, violating)
