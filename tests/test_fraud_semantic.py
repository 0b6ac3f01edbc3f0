"""Semantic completion of a partial scam pattern (assist/lookup/fraud_semantic.py and its use in
assist/lookup/pins.py): a partial pattern the classifier reads as a scam pins ``fraud.semantic``
naming the parts' words, the score and the nearest exemplar; a lone keyword never pins; a
canceller still cancels; training is deterministic and its cache is checked on read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import RulePack
from assist.compliance.semantic import SemanticFlag, SemanticSignal
from assist.errors import LibraryError
from assist.library.loader import SHIPPED_LIBRARY
from assist.lookup import fraud_semantic
from assist.lookup.pins import FRAUD, SEMANTIC, customer_pins, partial_pattern
from tests.conftest import HashEncoder

KNOWN = {FRAUD, "skip_verification", "third_party_inquiry", "complaint_severe"}
PARTIAL_SCAM = "He is on a video call saying he's an officer and wants me to gather money from all my accounts"
"""A stranger the lexicons know, an instruction they do not: a partial pattern."""
TINY = """\
scam:
  en:
    - the caller wants me to move all my savings to his holding account tonight
    - a man on the phone says to read him the code so my account is not closed
    - the trading group tells me to top up the platform before the window shuts
    - the woman from the dating app needs a customs fee sent to her agent today
  zh-Hans:
    - 电话里的人让我把存款都转到他说的核查账户去
    - 群里的老师让我今晚把钱都充到平台上抢额度
lookalike:
  en:
    - how do i move my savings into the joint account online
    - the code to log in never arrives on my phone
    - why was i charged a fee for topping up my account
    - my daughter needs rent money and asked me to send it to her account
  zh-Hans:
    - 我想把存款转到定期，手机银行怎么操作
    - 验证码一直收不到，登录不了手机银行
"""


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_rule_pack(SHIPPED_LIBRARY)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "fraud_exemplars.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


def trained(tiny: Path, cache: Path) -> SemanticSignal:
    return fraud_semantic.train(HashEncoder(), cache, tiny, fraud_semantic.Exemplars((), ()))


def always(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The classifier replaced by one that reads every text it is asked about as a scam; returns
    the texts it was asked about."""
    asked: list[str] = []

    def reads(utterance: str, classifier: SemanticSignal | None = None) -> SemanticFlag:
        asked.append(utterance)
        return SemanticFlag(FRAUD, 0.9, 0.4, "an exemplar", 0.8)

    monkeypatch.setattr(fraud_semantic, "reads_as_scam", reads)
    return asked


def test_a_partial_pattern_read_as_a_scam_pins_fraud_semantic_naming_rule_words_score_and_exemplar(
        pack: RulePack, monkeypatch: pytest.MonkeyPatch) -> None:
    always(monkeypatch)
    [pin] = [p for p in customer_pins(pack, PARTIAL_SCAM, KNOWN) if p.scenario == FRAUD]
    assert pin.rule_id == SEMANTIC
    assert ("scam.party.en", "officer") in pin.words
    assert pin.semantic is not None and pin.semantic.exemplar == "an exemplar"
    why = pin.explain()
    assert "fraud.semantic" in why and "「officer」" in why and "0.90 >= 0.40" in why and "「an exemplar」" in why


def test_a_partial_pattern_the_classifier_does_not_read_as_a_scam_does_not_pin(
        pack: RulePack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fraud_semantic, "reads_as_scam", lambda utterance, classifier=None: None)
    assert FRAUD not in [p.scenario for p in customer_pins(pack, PARTIAL_SCAM, KNOWN)]


@pytest.mark.parametrize("text", [
    "He was on a video call saying he's an officer and wanted me to gather my money, but I hung up on him",
    "视频里那个警官让我把几张卡的钱归集起来，我没理他，直接挂了",
    "单位说报销款下周打给我，让我确认一下收款卡号",
])
def test_a_canceller_still_cancels_and_the_classifier_is_not_asked(
        pack: RulePack, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    asked = always(monkeypatch)
    assert partial_pattern(pack.hits(text, audience="customer")) is None
    assert FRAUD not in [p.scenario for p in customer_pins(pack, text, KNOWN)]
    assert asked == []


def test_text_without_any_part_never_asks_the_classifier(pack: RulePack, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = always(monkeypatch)
    assert customer_pins(pack, "How do I order a new card for my savings account", KNOWN) == []
    assert asked == []


class Refuses:
    """A classifier that fails the test if it is asked to score anything."""

    def flags(self, texts: object) -> list[list[SemanticFlag]]:
        raise AssertionError("a lone keyword was scored")


@pytest.mark.parametrize("keyword", ["安全账户", "remote access", "验证码", "safe account"])
def test_a_lone_keyword_is_never_scored_so_never_pins(pack: RulePack, keyword: str) -> None:
    assert fraud_semantic.reads_as_scam(keyword, Refuses()) is None  # type: ignore[arg-type]
    assert FRAUD not in [p.scenario for p in customer_pins(pack, keyword, KNOWN)]


def test_training_is_deterministic_and_the_threshold_flags_no_lookalike_in_cross_validation(
        tiny: Path, tmp_path: Path) -> None:
    first, second = trained(tiny, tmp_path / "a"), trained(tiny, tmp_path / "b")
    assert first.thresholds == second.thresholds
    assert np.array_equal(first.weights.gram, second.weights.gram)
    [fit] = first.fits
    assert fit.false_flags == 0.0
    assert fraud_semantic.BUDGET == 0.0


def test_a_damaged_cache_is_rebuilt_not_used(tiny: Path, tmp_path: Path) -> None:
    fresh = trained(tiny, tmp_path)
    [cached] = list(tmp_path.glob("*.npz"))
    data = bytearray(cached.read_bytes())
    data[len(data) // 2] ^= 0xFF
    cached.write_bytes(bytes(data))
    again = trained(tiny, tmp_path)
    assert again.thresholds == fresh.thresholds
    assert np.array_equal(again.weights.vector, fresh.weights.vector)
    assert cached.read_bytes() != bytes(data)  # rewritten


def test_an_exemplar_file_of_another_shape_is_refused_with_its_fix(tmp_path: Path) -> None:
    path = tmp_path / "fraud_exemplars.yaml"
    path.write_text("scam:\n  en: [a text]\n", encoding="utf-8")
    with pytest.raises(LibraryError, match="'scam:' and 'lookalike:'"):
        fraud_semantic.read_exemplars(path)
    path.write_text("scam:\n  en: [a text, 3]\nlookalike:\n  en: [b]\n", encoding="utf-8")
    with pytest.raises(LibraryError, match="list of texts"):
        fraud_semantic.read_exemplars(path)


def test_the_shipped_exemplars_hold_scams_and_lookalikes_in_every_language() -> None:
    shipped = fraud_semantic.read_exemplars()
    assert sum(shipped.scam) >= 150 and shipped.scam.count(False) >= 200
    assert not set(t for t, s in zip(shipped.texts, shipped.scam, strict=True) if s) & set(
        t for t, s in zip(shipped.texts, shipped.scam, strict=True) if not s)


@pytest.mark.model
def test_the_shipped_classifier_completes_a_partial_pattern_and_flags_no_lookalike_in_cross_validation(
        pack: RulePack) -> None:
    [fit] = fraud_semantic.signal().fits
    assert fit.false_flags == 0.0
    [pin] = [p for p in customer_pins(pack, PARTIAL_SCAM, KNOWN) if p.scenario == FRAUD]
    assert pin.rule_id == SEMANTIC and pin.semantic is not None
    assert pin.semantic.score >= pin.semantic.threshold
    assert pin.semantic.exemplar in fraud_semantic.read_exemplars().texts + fraud_semantic.library_examples().texts
