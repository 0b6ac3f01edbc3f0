"""exemplars_boundaries.yaml: five categories' boundaries, read by the signal as meant (its
counts by side and language and its freshness are checked with every exemplar file's in
test_exemplar_files.py)."""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack


@pytest.mark.model
@pytest.mark.parametrize("text", ["请问您的卡号是多少？", "麻煩您報一下卡號，我查這張卡的狀態。",
                                  "Which card is it? The long number on the front will do."])
def test_asking_for_a_card_number_to_find_the_account_is_clean(pack: RulePack, text: str) -> None:
    """A card number on its own is no credential (a password, a code, the CVV or the number with
    its expiry are); the signal once flagged this procedural question as credential_request."""
    from assist.encoders.base import STATIC_MODEL
    from assist.encoders.registry import get_encoder

    assert pack.check(text, audience="agent", semantic=pack.semantic_signal(get_encoder(STATIC_MODEL))) == []
