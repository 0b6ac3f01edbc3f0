"""The fraud pattern's scope in time and intent (assist.lookup.pins, customer_signals.yaml), on
the shipped rule pack: a scam told as past, a warning wanted for later, "how do I tell it's real?"
and an offer put to the customer pin nothing; the roles added in round 21-22 pin in any wording.
Every text here is written for these tests (checked against the pin data sets below)."""

from __future__ import annotations

import json

import pytest

from assist.compliance.rules import RulePack
from assist.lookup.pins import FRAUD, customer_pins
from tests.overlap import near_pairs
from tests.test_pins import HELDOUT_DIR, KNOWN, dev_texts, probes

PAST_AND_ADVICE = [
    "我姑妈大概一年前让冒充客服的骗走了三万，这种钱银行还能帮忙追吗",  # a past scam, dated
    "前些日子我被刷单的骗过一回，现在想把那张卡停掉",
    "我舅舅两个多月前被一个假警察骗了，要是以后有人再让他转账，你们能拦一下吗",  # later
    "我爸前年被人骗过，能不能帮我设个大额转账的提醒",
    "有人打电话说是你们的信用卡中心，问我要不要分期，怎样判断是不是真的",  # how to tell
    "有人話係保險公司，問我要唔要買儲蓄保險，點樣分辨係咪真",
    "有个自称贷款中介的打来，问我需不需要办一笔周转，我没答应",  # an offer
    "如果快递员打电话说要给我赔偿，他让我提供银行卡信息的话正常吗",  # a hypothetical
    "My aunt was talked into paying a fake delivery fee a year ago, can I see if she got it back?",
    "Back in the autumn someone conned my brother with a fake tax call; how do these calls usually go?",
    "How can I tell whether a caller saying he's from your loans team is genuine?",
    "A woman rang claiming to be from the council about my card and I told her I'd call the bank first",
]
SCAMS_IN_PROGRESS = [
    "自称是我外孙学校的老师，让我往他发的账户交两千夏令营费用",  # pay into an account
    "那个兼职群说还要再做完两轮任务才能把垫的钱提出来，我正在充",  # a task as the condition
    "Just now a voice on the phone told me they've got my little girl and I have to transfer 5,000 at once"
    " or she'll be harmed",
    "The caller claims I need to read out the code on the back so they can stop the fraud",
    "The loan firm says there's an insurance charge before they can send me the money, paying it now",
    "The betting platform won't let me cash out until I pay a 12% fee, I'm about to",
    "They're in control of my PC right now and are opening my banking app",
    "一个维修师傅说我家燃气表坏了，要我先赔三千到他个人卡上",  # a job title, a personal card
    "有個女人話我戶口有異常，叫我讀返信用卡號碼同到期日俾佢",  # card details, Cantonese order
    "A bank technician on the line wants me to buy Apple cards to secure my account",
]
DATA_FILES_FOR_OVERLAP = PAST_AND_ADVICE + SCAMS_IN_PROGRESS


def scenarios(pack: RulePack, text: str) -> list[str]:
    return [p.scenario for p in customer_pins(pack, text, KNOWN)]


def test_these_texts_are_not_copies_of_any_pin_data_set() -> None:
    others = dev_texts() + [str(row["text"]) for row in probes()]
    close = [(DATA_FILES_FOR_OVERLAP[i], others[j]) for i, j, _ in near_pairs(DATA_FILES_FOR_OVERLAP, others, 0.7)]
    assert close == []


@pytest.mark.parametrize("text", PAST_AND_ADVICE)
def test_a_past_scam_a_warning_for_later_a_how_to_tell_question_or_an_offer_pins_no_fraud(
        pack: RulePack, text: str) -> None:
    assert FRAUD not in scenarios(pack, text)


@pytest.mark.parametrize("text", SCAMS_IN_PROGRESS)
def test_new_roles_pin_fraud(pack: RulePack, text: str) -> None:
    assert scenarios(pack, text)[:1] == [FRAUD]


def test_a_past_scam_with_a_new_contact_now_still_pins(pack: RulePack) -> None:
    """A recovery scam is told with the old loss: the past cancels only what is past."""
    assert scenarios(pack, "去年被骗了五万，现在有个人说是追款中心的，让我先交两千才能追回来")[:1] == [FRAUD]
    assert FRAUD not in scenarios(pack, "去年被骗了五万，现在想问问银行能不能查到收款人")


def test_the_past_scope_is_read_from_the_rule_pack(pack: RulePack) -> None:
    [rule] = [r for r in pack.rules if r.id == "scam.disengaged"]
    text = "我婆婆半年多前被冒充公安的骗过，以后有陌生人让她转钱能不能提醒一下"
    assert any(r.id == "scam.disengaged" for r, _ in pack.hits(text, audience="customer"))
    without = RulePack(rules=tuple(r for r in pack.rules if r is not rule))
    assert FRAUD not in scenarios(pack, text)
    assert FRAUD in [p.scenario for p in customer_pins(without, text, KNOWN)]


@pytest.mark.parametrize(
    ("rule_id", "words", "text"),
    [
        # a known person's own ask: pronoun + directive character (terms known_pronoun, directive_char)
        ("scam.theirs.zh", "她让", "我女儿在国外旅游被警察罚了款，她让我帮她转五千过去交罚款"),
        # a pronoun that stands for the known person named before it (term known_pronoun)
        ("scam.pronoun", "她们", "我妹妹在外地实习，她们宿舍要交押金，她叫我先打五百到她的卡上"),
    ],
)
def test_a_known_persons_words_come_from_the_rule_pack(pack: RulePack, rule_id: str, words: str,
                                                       text: str) -> None:
    """The pronouns and directive characters of a known person live in the YAML, not in pins.py:
    without the rule, the known person's ask reads as a stranger instructing the customer."""
    hits = [(r.id, v.matched_text) for r, v in pack.hits(text, audience="customer")]
    assert (rule_id, words) in hits
    assert FRAUD not in scenarios(pack, text)
    without = RulePack(rules=tuple(r for r in pack.rules if r.id != rule_id))
    assert FRAUD in [p.scenario for p in customer_pins(without, text, KNOWN)]


def test_a_new_role_pin_names_its_words(pack: RulePack) -> None:
    [pin] = [p for p in customer_pins(pack, SCAMS_IN_PROGRESS[1], KNOWN) if p.scenario == FRAUD]
    said = pin.explain()
    assert "兼职群" in said and "才能" in said
    assert any(rule.startswith("scam.platform.") for rule, _ in pin.words)
    assert any(rule.startswith("scam.asks.") for rule, _ in pin.words)


@pytest.mark.parametrize("name", ["utterances_v2.jsonl", "utterances_v3.jsonl", "utterances_v4.jsonl",
                                  "utterances_v5.jsonl", "utterances_v6.jsonl"])
def test_the_outside_writers_sets_now_dev_data_all_scams_pin_and_nothing_else_does(
        pack: RulePack, name: str) -> None:
    rows = [json.loads(line) for line in (HELDOUT_DIR / name).read_text("utf-8").splitlines()]
    pinned = {r["text"] for r in rows if FRAUD in scenarios(pack, r["text"])}
    assert pinned == {r["text"] for r in rows if r["scam"]}
