"""Phrase lexicons: one automaton, gaps, whole words and regional spellings."""

from __future__ import annotations

from assist.compliance.lexicon import Lexicon, PhraseIndex, normalise_phrase, regional_fold
from assist.text.normalise import normalise


def index(**phrases: list[str]) -> PhraseIndex:
    return PhraseIndex({name: Lexicon(name, (("zh-Hans", tuple(p)),)) for name, p in phrases.items()})


def test_taiwan_and_hong_kong_spellings_match_mainland_phrases() -> None:
    found = index(account=["安全账户"], idcard=["身份证"]).find(normalise("請把錢轉到安全帳戶，身分證也帶上"))
    assert set(found) == {"account", "idcard"}


def test_a_regional_phrase_matches_the_mainland_spelling_too() -> None:
    assert normalise_phrase("對帳單") == normalise_phrase("对账单") == "对账单"
    assert index(statement=["對帳單"]).find(normalise("您的对账单已寄出")) == {"statement": [(2, 5)]}


def test_the_fold_keeps_every_span() -> None:
    text = normalise("帳戶餘額與身分證字號")
    assert len(regional_fold(text)) == len(text)
    assert index(n=["身份证字号"]).find(text) == {"n": [(5, 10)]}


def test_gap_and_whole_words() -> None:
    lexicons = index(give=["报…给我"], pin=["pin"])
    assert lexicons.find("报一下那个码给我") == {"give": [(0, 8)]}
    assert lexicons.find("the spinning wheel") == {}


def test_a_gapped_hit_names_what_its_gap_stood_for() -> None:
    lexicons = index(pledge=["保证…到", "肯定到"])
    text = normalise("保證唔到下週到")
    span = lexicons.find(text)["pledge"][0]
    assert [text[s:e] for s, e in lexicons.gaps(text, "pledge", span)] == ["唔"]
    assert lexicons.gaps("肯定到", "pledge", (0, 3)) == ()  # a whole phrase has no gap
    assert lexicons.gaps("保证到", "pledge", (0, 3)) == ()  # an empty gap is none
    assert lexicons.gaps("保证到", "other", (0, 3)) == ()
