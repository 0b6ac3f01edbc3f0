"""exemplars_boundaries.yaml: five categories' boundaries, each side in every language, and
written fresh (no near-copy of another exemplar file, whose sentences would only add weight)."""

from __future__ import annotations

import pytest

from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import RulePack
from assist.library.loader import SHIPPED_LIBRARY
from assist.text.normalise import normalise
from tests.probe_sets import exemplars_of, near_copies, short_sides

FILE = "exemplars_boundaries.yaml"
CATEGORIES = ("overpromise", "skip_verification", "credential_request", "privacy_disclosure",
              "blame_shifting")
LANGUAGES = {"zh-Hans", "zh-Hant", "yue", "en"}


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_rule_pack(SHIPPED_LIBRARY)


def test_each_category_has_forty_each_way_in_every_language(pack: RulePack) -> None:
    mine = exemplars_of(pack, FILE)
    assert {e.category for e in mine} == set(CATEGORIES)
    assert short_sides(mine, CATEGORIES, LANGUAGES) == []


def test_no_sentence_is_repeated_or_a_near_copy_of_another_exemplar_file(pack: RulePack) -> None:
    mine = [normalise(e.text) for e in exemplars_of(pack, FILE)]
    assert len(set(mine)) == len(mine)
    close = near_copies(pack, FILE)
    assert not close, close[:5]


@pytest.mark.model
@pytest.mark.parametrize("text", ["请问您的卡号是多少？", "麻煩您報一下卡號，我查這張卡的狀態。",
                                  "Which card is it? The long number on the front will do."])
def test_asking_for_a_card_number_to_find_the_account_is_clean(pack: RulePack, text: str) -> None:
    """A card number on its own is no credential (a password, a code, the CVV or the number with
    its expiry are); the signal once flagged this procedural question as credential_request."""
    from assist.encoders.base import STATIC_MODEL
    from assist.encoders.registry import get_encoder

    assert pack.check(text, audience="agent", semantic=pack.semantic_signal(get_encoder(STATIC_MODEL))) == []
