"""Pins need a pattern, not a lone keyword (assist.lookup.pins), on the shipped rule pack."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from assist.compliance.rule_files import load_rule_pack
from assist.compliance.rules import RulePack
from assist.library.loader import SHIPPED_LIBRARY, labelled_lines, load_library
from assist.lookup.pins import (
    DISOWNED,
    FRAUD,
    NEEDED,
    NOW,
    PATTERN_ROLES,
    _roles_pattern,
    _shipped,
    customer_pins,
    fraud_pattern,
    has_parts,
    takeover_pattern,
)
from tests.overlap import near_pairs

KNOWN = {FRAUD, "skip_verification", "third_party_inquiry", "complaint_severe"}
SHARED_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
HELDOUT_DIR = Path(__file__).resolve().parents[1] / "eval" / "heldout"
HELDOUT = HELDOUT_DIR / "utterances_v1.jsonl"
PIN_SETS = ("utterances_v1.jsonl", "pins_v2.jsonl", "pins_v3.jsonl")
"""Held-out pin sets that have since become dev data for the pins (docs/quality.md); never a
frozen set still held out (pins_h3, eval/heldout/next/), which is measured, not tuned on. The
outside writer's utterances_v2/v3 are dev data too, checked in tests/test_pins_scope.py (two
early probe rounds come within 0.7 of their lines, so they stay out of the overlap check here)."""


def scenarios(pack: RulePack, text: str) -> list[str]:
    return [p.scenario for p in customer_pins(pack, text, KNOWN)]


@pytest.mark.parametrize("text", [
    "微信零钱提现到银行卡要收手续费吗",
    "What fee do I pay to receive money?",
    "Do I get charged if I get money?",
    "我之前被刷单骗过一次，想知道怎么防范",
    "有个电话说是你们银行的，要我报验证码，我直接挂了，是你们打的吗",
    "Someone called saying they were the bank and asked for my code, I hung up. Was that you?",
    "I made a transfer to my friend and she hasn't received it",
    "我父亲去世了，他卡里的钱要怎么取出来",
])
def test_a_lone_keyword_or_a_past_contact_pins_no_fraud(pack: RulePack, text: str) -> None:
    assert FRAUD not in scenarios(pack, text)


@pytest.mark.parametrize("text", [
    "对方自称是海关的，让我先交一笔清关费才能拿到包裹",
    "客服叫我装个远程软件帮我退款，我已经装好了",
    "那个人一直要我把手机收到的几个数字念给他",
    "The man on the phone wants me to buy gift cards to pay off a tax penalty",
    "A support agent asked me for the code you texted, he's still on the line",
    "有人說是法院的，叫我把存款轉到監管帳戶",
])
def test_a_third_party_instructing_money_code_control_or_fee_pins_fraud(pack: RulePack, text: str) -> None:
    assert scenarios(pack, text)[:1] == [FRAUD]


# Role by role, in wording written for these tests (checked below against every pin data set).
NOT_SCAMS = [
    "房东叫我下个月起把房租打到他老婆的卡上，要改收款人吗",  # a known counterpart, no scam marker
    "My sister wants me to send her money for the school trip, how do I add her as a payee?",
    "你们柜台的大堂经理让我先存满三万才能升级卡片，必须这样吗",  # the bank's own staff
    "Your branch manager told me to pay the card fee to unlock the lounge benefit, is that right?",
    "拼多多客服让我提供拼多多账号的验证码才能帮我查订单，跟你们有关系吗",  # another platform's own login
    "The shopping app asked me for the code it texted to finish signing in, is that normal?",
    "几天前有个人让我把存款转进安全账户，我没有转，想问问怎么举报",  # did not obey
    "有人打来让我报验证码，我拒绝了，电话也挂了",
    "以前有人冒充快递理赔骗过我，现在看到这种电话就怕",  # a past scam
    "A man phoned asking for my PIN and I refused, should I change it?",
    "有人提醒我验证码不要告诉任何人，那登录手机银行的时候要输吗",  # a warning, not an ask
    "补办学生证要先交二十块工本费才能拿，能用你们的卡付吗",  # a fee with nothing locked up
]
SCAMS = [
    "表哥在微信上说他出了车祸住院，叫我先打两万到医院的账户",  # a known counterpart + a scam marker
    "My nephew messaged from a new number and needs me to pay his rent into a friend's account urgently",
    "平台说我的收益被锁定了，要再充三万保证金才能提现",  # an app or platform demanding payment
    "The betting site says I must deposit another 800 before I can cash out my winnings",
    "有人让我把钱转进安全账户，我还没转，他还在电话上等",  # not yet: still in progress
    "对方说不把理财赎回来交给他们保管就会冻结我所有的卡",  # a threat is an instruction
    "一个自称电商客服的人要我在App里点同意授权，说要给我退款",  # an approval on the phone
    "那个人催我把刚收到的短信截图发过去，说是核对身份",
    "佢叫我俾三千蚊保證金先可以攞返個包裹",  # Cantonese unlock fee
    "网上认识的导师让我借他两万，说下周连本带利还我",
]


SCAM_TEXTS = SHIPPED_LIBRARY / "rules" / "scam_texts"
"""The pin probe rounds, measured and now training texts of the scam signal (assist.lookup.scam_signal)."""


PROBES = SCAM_TEXTS / "pin_probes.jsonl"
"""Rounds of scams and lookalikes written for the pins (1-49), each round before the change it
measured (48 written after its change, measured on the code before it; docs/safe-answers.md gives
the fresh figures); all of them are dev data now."""


R7_PROBES = SCAM_TEXTS / "pin_probes_r7.jsonl"
"""Probe rounds of the seventh pins helper (issue 20), each committed before the change it measured
(fresh figures in docs/safe-answers.md); dev data once measured."""


R8_PROBES = SCAM_TEXTS / "pin_probes_r8.jsonl"
"""Probe round r8.1 (after utterances_v6): advance-fee rentals, romance-logistics fees, job-deposit
schemes, task-scam top-ups and payment-redirection e-mails, with their hard lookalikes; committed
before the change it measured (fresh 11/21 scams, 0/26 false fraud banners); dev data since."""


OUTSIDE = SCAM_TEXTS / "pin_probes_outside.jsonl"
"""442 probes by an outside writer who read none of the project's files (198 scams in progress,
244 hard negatives by kind: past_scam, hypothetical, call_check, fee, platform, legit_third_party,
news_or_warning, ordinary), added as found after one fresh measurement (docs/safe-answers.md);
dev data since."""
GENUINE_THIRD_PARTY = {
    "我想给我妈的卡设置一下，假如有人骗她转大额，能不能需要我这边同意",
    "最近好多人說有AI假冒家人聲音借錢，我想幫我媽的帳戶設大額轉帳通知",
}
"""Non-scams of the outside probes that are about someone else's account: the only ones that may
pin third_party_inquiry."""


KNOWN_FALSE = {
    "我阿嬤說有人教她用網銀，她把密碼寫在紙上給那個人，我想幫她改密碼要怎麼做",
}
"""Lookalikes left pinned, as found: (round 44) a grandmother's password already handed to a stranger who
"taught" her online banking, written as aftermath, where the fraud script's protect-the-account steps still fit.
Until the twenty-ninth round also a real accident told in the words of the family-emergency scam (a friend's
relative, a crash, money asked for), the money already sent: the veto of a pin the customer's own people ask
for (scam_signal.OWN_VETO) drops it."""


def dev_texts() -> list[str]:
    texts = [row["text"] for name in PIN_SETS
             for row in map(json.loads, (HELDOUT_DIR / name).read_text("utf-8").splitlines())]
    dev = SHARED_EVAL / "utterances_dev.jsonl"
    if dev.is_file():
        texts += [json.loads(line)["text"] for line in dev.read_text("utf-8").splitlines()]
    return texts


def probes(path: Path = PROBES) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_the_role_examples_and_probes_are_not_copies_of_any_pin_data_set() -> None:
    texts = NOT_SCAMS + SCAMS + [str(row["text"]) for row in
                                 probes() + probes(OUTSIDE) + probes(R7_PROBES) + probes(R8_PROBES)]
    texts += [text for _, scam, lookalike in R7_KINDS + R8_KINDS + R11_KINDS for text in (scam, lookalike)]
    close = [texts[i] for i, _, _ in near_pairs(texts, dev_texts(), 0.7)]  # ratio(text, other) >= 0.7
    assert close == []


@pytest.mark.parametrize("text", NOT_SCAMS)
def test_everyday_asks_the_banks_own_staff_other_platforms_and_disengaged_customers_pin_no_fraud(
        pack: RulePack, text: str) -> None:
    assert FRAUD not in scenarios(pack, text)


@pytest.mark.parametrize("text", SCAMS)
def test_scams_in_progress_pin_fraud_by_role(pack: RulePack, text: str) -> None:
    assert scenarios(pack, text)[:1] == [FRAUD]


def test_a_known_counterparts_ask_pins_with_its_marker_named(pack: RulePack) -> None:
    [pin] = [p for p in customer_pins(pack, SCAMS[0], KNOWN) if p.scenario == FRAUD]
    rules = {rule for rule, _ in pin.words}
    assert {"scam.known.zh", "scam.marker.zh", "scam.asks.money.zh"} <= rules
    explained = pin.explain()
    assert "表哥" in explained and "车祸" in explained and "叫我先打两" in explained


def test_a_pin_names_its_rule_and_every_word_that_fired_it(pack: RulePack) -> None:
    [pin] = [p for p in customer_pins(pack, "有个警察打电话让我把钱转到安全账户", KNOWN) if p.scenario == FRAUD]
    rules = [rule for rule, _ in pin.words]
    assert pin.rule_id.startswith("signal.fraud.")
    assert any(r.startswith("scam.party.") for r in rules) and any(r.startswith("scam.asks.") for r in rules)
    explained = pin.explain()
    assert pin.rule_id in explained and "安全账户" in explained and "警察" in explained


@pytest.mark.parametrize("text", [
    "Please help me check my account, I think there's a payment I didn't make",
    "Help me get rid of my account",
    "If I want my son to have his own account is that possible?",
    "I sent money to my landlord but she says it never arrived in her account",
    "Why do I need to verify my identity?",
    "What steps do I have to go through to activate my new card?",
])
def test_own_account_questions_pin_no_third_party_or_skip(pack: RulePack, text: str) -> None:
    assert scenarios(pack, text) == []


@pytest.mark.parametrize(("text", "scenario"), [
    ("I'm calling for my husband, can you tell me his balance?", "third_party_inquiry"),
    ("我是他女儿，帮我爸查一下他卡里还有多少钱", "third_party_inquiry"),
    ("I don't have time for all these security questions, just do it", "skip_verification"),
    ("别验证了，直接帮我办", "skip_verification"),
])
def test_real_third_party_and_skip_requests_still_pin(pack: RulePack, text: str, scenario: str) -> None:
    assert scenarios(pack, text)[:1] == [scenario]


def test_a_pack_without_part_rules_pins_on_its_fraud_rule_alone(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "own.yaml").write_text(
        "rules:\n"
        "  - id: own.safe_account\n    category: fraud_signal\n    severity: block\n"
        "    applies_to: customer\n    patterns:\n      - regex: '安全账户'\n"
        "    explanation: x\n    reference: x\n    suggestion: x\n    pin: fraud_in_progress\n"
        "    priority: 100\n", encoding="utf-8")
    pack = load_rule_pack(tmp_path)
    own = RulePack(rules=tuple(r for r in pack.rules if not r.id.startswith(("scam.", "signal.", "third_party."))))
    assert [p.rule_id for p in customer_pins(own, "转到安全账户", KNOWN)] == ["own.safe_account"]


@pytest.mark.skipif(not (SHARED_EVAL / "banking77" / "train.csv").is_file(), reason="BANKING77 not present")
def test_no_fraud_pin_on_banking77(pack: RulePack) -> None:
    with (SHARED_EVAL / "banking77" / "train.csv").open(encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    assert len(texts) > 10_000
    assert [t for t in texts if FRAUD in scenarios(pack, t)] == []


@pytest.mark.skipif(not (SHARED_EVAL / "utterances_dev.jsonl").is_file(), reason="dev set not present")
def test_dev_scams_all_pin_and_nothing_else_does(pack: RulePack) -> None:
    rows = [json.loads(line) for line in (SHARED_EVAL / "utterances_dev.jsonl").read_text("utf-8").splitlines()]
    pinned = {r["text"] for r in rows if FRAUD in scenarios(pack, r["text"])}
    assert pinned == {r["text"] for r in rows if r["scenario"] == FRAUD}


def test_heldout_non_scams_get_no_fraud_pin(pack: RulePack) -> None:
    """The frozen held-out set is measured here, never tuned on (eval/heldout/README.md)."""
    rows = [json.loads(line) for line in HELDOUT.read_text("utf-8").splitlines()]
    assert [r["text"] for r in rows if not r["scam"] and FRAUD in scenarios(pack, r["text"])] == []


KNOWN_DEV_TRAPS_PINNED: dict[str, set[str]] = {}
"""Traps of a dev pin set left pinned, as found (none now). When the twenty-second round joined
utterances_v22 and v25 to the scam signal's training, the retrained signal completed a pins_v3 trap,
a game platform's "customer service" asking for the game account's password (a stranger and a
credential, the rules' parts; 0.559 against a threshold of 0.552); it was recorded here, not tuned
away. The twenty-fourth round's retraining (utterances_v26 and v29 joined) no longer completes it."""


@pytest.mark.parametrize("name", PIN_SETS)
def test_pin_sets_now_dev_data_all_scams_pin_and_no_trap_does(pack: RulePack, name: str) -> None:
    rows = [json.loads(line) for line in (HELDOUT_DIR / name).read_text("utf-8").splitlines()]
    pinned = {r["text"] for r in rows if FRAUD in scenarios(pack, r["text"])}
    assert pinned == {r["text"] for r in rows if r["scam"]} | KNOWN_DEV_TRAPS_PINNED.get(name, set())


def test_probe_rounds_scams_pin_and_lookalikes_do_not(pack: RulePack) -> None:
    rows = probes()
    assert len(rows) > 250
    pinned = {str(r["text"]) for r in rows if FRAUD in scenarios(pack, str(r["text"]))}
    scams = {str(r["text"]) for r in rows if r["scam"]}
    assert pinned - scams == KNOWN_FALSE
    assert scams - pinned == set()


def test_outside_probes_every_scam_pins_and_no_lookalike_does(pack: RulePack) -> None:
    rows = probes(OUTSIDE)
    assert len(rows) == 442
    pinned = {str(r["text"]) for r in rows if FRAUD in scenarios(pack, str(r["text"]))}
    scams = {str(r["text"]) for r in rows if r["scam"]}
    assert len(scams) == 198
    assert scams - pinned == set()
    assert pinned - scams == set()


def test_outside_probes_third_party_pins_only_on_someone_elses_account(pack: RulePack) -> None:
    rows = [r for r in probes(OUTSIDE) if not r["scam"]]
    third = {str(r["text"]) for r in rows
             if {"third_party_inquiry", "skip_verification"} & set(scenarios(pack, str(r["text"])))}
    assert third == GENUINE_THIRD_PARTY


def test_the_shipped_librarys_own_examples_pin_fraud_exactly_on_the_fraud_scenario(pack: RulePack) -> None:
    """The library's customer phrasings are lookalikes too: 「有人打电话说是银行的，问我卡号，我没告诉他」
    is a phishing check, not a scam in progress. A new example that breaks this names a role gap.
    The measured sets joined from ``examples/*.jsonl`` are not written for the rules; their pins are
    measured (docs/quality.md), so they are left out here."""
    library = load_library(SHIPPED_LIBRARY)
    measured = {line.text for line in labelled_lines(SHIPPED_LIBRARY, library.scenarios)}
    examples = [(script.scenario, text) for script in library.scripts for text in script.examples or ()
                if text not in measured]
    assert len(examples) > 2000
    missed = [t for scenario, t in examples if scenario == FRAUD and FRAUD not in scenarios(pack, t)]
    false = [(scenario, t) for scenario, t in examples if scenario != FRAUD and FRAUD in scenarios(pack, t)]
    assert (missed, false) == ([], [])


def test_the_customer_rules_literal_pass_is_split_and_changes_no_hit(pack: RulePack) -> None:
    """The customer patterns sit behind several literal passes (assist.compliance.prefilter,
    ``CHUNK_CHARS``), for speed; every probe text's hits stay those of running every rule."""
    pack.hits("热身", audience="customer")
    assert len(pack._plan("customer").prefilter._filter.parts) > 1
    texts = [str(row["text"]) for row in probes(R7_PROBES)]
    assert [pack.hits(t, audience="customer") for t in texts] == [
        pack.hits(t, audience="customer", exhaustive=True) for t in texts]


def test_a_relatives_word_inside_a_longer_one_is_no_relative(pack: RulePack) -> None:
    hits = pack.hits("我想了解一下养老公寓的收费，能用你们的信用卡付吗", audience="customer")
    assert not [rule.id for rule, _ in hits if rule.id == "scam.known.zh"]


def test_has_parts_is_kept_per_pack_and_not_shared(pack: RulePack) -> None:
    assert has_parts(pack) and has_parts(pack)
    own = RulePack(rules=tuple(r for r in pack.rules if not r.id.startswith("scam.")))
    assert not has_parts(own) and has_parts(pack)


R7_KINDS = [
    # (kind, a scam of that kind, its lookalike)
    ("a payout as the condition of a payment (settlement)",
     "接单平台的客服说这一单要先垫三千，垫完才能给我结算佣金",
     "公司说这个月的报销要到月底才能结算，我想问工资卡什么时候到账"),
    ("a payment redirected to a new account, with a changed card",
     "房东在微信上说他换了一张银行卡，以后房租都转到新卡上", "房东让我每个月把房租转到他卡上，我想设个定时转账"),
    ("told to pay into someone's friend's account (Cantonese)",
     "我阿女换咗新号码，叫我过八千去佢同学个户口，话手机跌咗", "我阿女叫我帮佢交学费，点样设定自动转账"),
    ("secrecy from a relative, then a payment (English)",
     "The man from the crypto group told me not to tell my wife and to send the 8k to his firm today",
     "My wife told me not to tell her mum about the surprise and to book the restaurant"),
    ("software installed so a caller can act (English)",
     "A guy from the broadband company says I need to install an app so they can fix my refund, he's waiting",
     "I need to install an app so I can see my statements, which one is yours?"),
    ("a reported imperative of urgency, store cards by brand (Cantonese)",
     "有个人假扮我哋经理，话唔使话俾其他同事知，马上去买五张Google Play卡",
     "我老细话马上要开会，叫我整理好上个月嘅单据"),
    ("a payment document in hand is no instruction",
     "自称税务局的人通知我要缴款到他们给的账户，不然要罚款",
     "税务局通知我厂里进口的零件要补缴税款，代理已经开了正式的缴款书，对公账户怎么付"),
    ("a fee before money can be taken out (English)",
     "A woman I met on Bumble set me up on a crypto site and now I have to pay a 15% release tax "
     "before I can take my profits out",
     "My savings account has a fee if I take money out before the term ends, how much is it?"),
    ("a relayed request from a temporary number (English)",
     "My daughter is texting from a temporary number, can you send 600 for me today she wrote, I'm doing it now",
     "My daughter asked can you send 600 for me today, it's her rent, how do I add her as a payee?"),
    ("a courier on the way to collect (English)",
     "A detective said my account is compromised and an officer is on his way to take my cash for evidence",
     "The courier is on his way to collect the parcel I'm returning, will the refund go to my card?"),
    ("a seller found online asks a deposit first (Cantonese)",
     "网上订咗部二手电话，卖家话要我过一千订金先寄出，我而家就过",
     "网上订咗部二手电话，卖家已经寄出，我想问信用卡分期点计"),
    ("the customer's own worry is no pretext",
     "表哥车祸住院，他让我先转三万到医院同事的卡上",
     "我表哥让我帮他收一笔货款再转给他，这样会被当成洗钱吗"),
    ("a prohibition, then an instruction (不让 no longer negates what follows)",
     "那个专员不准我挂电话也不准我问家里人要我把存款全部转去他说的账户",
     "我爸不准我一个人去银行说要陪我一起去，你们周末开门吗"),
    ("secrecy from family, then an instruction",
     "网上认识的女朋友叫我别跟家里说，然后让我把年终奖先转给她周转一下",
     "我女朋友叫我别跟家里说我们订婚了，我想查下我信用卡的账单"),
    ("a payment to the customer's own institution is everyday (English)",
     "A man on the phone says he's from the court and I have to pay the fine to his colleague today",
     "My daughter asked me to pay her deposit to the letting agent, can I do that from my savings?"),
    ("the boss's private mail and secrecy as markers (English)",
     "My director messaged from his personal hotmail, says keep this between us and wants me to pay a new vendor now",
     "My director asked me to pay the new vendor's first invoice through the usual approval, which form do I use?"),
    ("the police told: disengaged (English)",
     "A caller who says she works in your fraud unit wants my ISA moved into a protected account before midnight",
     "A caller wanted my ISA moved into a protected account, I phoned the police instead and they said it was fraud"),
    ("secrecy alone does not make a known person's ask a scam; a stranger's secrecy does",
     "一个自称警官的人叫我别告诉家里人，让我把存款转到他们的账户",
     "我儿子叫我别告诉他妈他辞职了，让我帮他交一下这个月的网费"),
    ("a card number for the customer's own salary",
     "说是银行客服的人让我把卡号和短信验证码报给他",
     "公司下个月起发薪改到新卡上，财务让我把新卡号发给她，我想问这张卡怎么开通"),
    ("a claimed relative in a message (English)",
     "Got a text, this is your daughter, new phone, can you send 400 for me to the landlord today",
     "My daughter asked can you send 400 for me for her rent, she rang from her usual number"),
    ("the bank's own staff by job title; a relative's word inside a longer one",
     "自称信贷经理的人说要先交一笔保证金才能放款，我准备转",
     "你们信贷经理说办房贷要先开一张工资卡，在哪个网点开"),
    ("a question put to the customer is no instruction (English)",
     "A man from the bank's security team asked me to transfer my savings to a new account tonight",
     "The bank teller asked me who the payee was and why I was sending it, do you always ask that?"),
    ("an amount wanted paid to someone else's account (English)",
     "A text signed with my son's name from an unknown number says the garage wants 700 paid to his mate's account",
     "My son says the garage wants 700 paid before they release his car, can I pay the garage by card?"),
    ("equipment bought for a job, refunded from the first wage (English)",
     "The online tutoring gig says I must purchase a teaching kit from their partner, refunded out of my first salary",
     "I bought a laptop for my new job and will be reimbursed by my employer, can I split the payment?"),
    ("a fee to release an old loss keeps a past story live (English)",
     "A 'funds recovery team' on WhatsApp wants 800 paid to recover the money I lost two years ago",
     "I lost money to an investment scam two years ago, is there any way the bank can still get it back?"),
    ("a warning that forbids is no instruction",
     "自称客服的人叫我点开他发的链接领取退款", "你们客服提醒我说有人假冒快递，叫我千万别点陌生链接，怎么设转账限额"),
]


@pytest.mark.parametrize(("kind", "scam", "lookalike"), R7_KINDS, ids=[k for k, _, _ in R7_KINDS])
def test_round_r7_kinds_pin_the_scam_and_not_its_lookalike(
        pack: RulePack, kind: str, scam: str, lookalike: str) -> None:
    assert scenarios(pack, scam)[:1] == [FRAUD], kind
    assert FRAUD not in scenarios(pack, lookalike), kind


@pytest.mark.parametrize("text", [
    "我老婆让我帮她转一笔钱给她妈妈，我要怎么操作",
    "My landlord wants the deposit as a standing order to his account, how do I set one up?",
])
def test_a_payment_to_the_relative_or_landlord_is_no_third_party_enquiry(pack: RulePack, text: str) -> None:
    assert "third_party_inquiry" not in scenarios(pack, text)


R8_KINDS = [
    # (kind, a scam of that kind, its lookalike), after utterances_v6 (written for these tests)
    ("a rental home that cannot be seen, keys by courier",
     "租房网站上的房东说他在外地出差，让我先转三千押金，他再把钥匙快递过来",
     "上周六看了房，房东让我签完合同把三千押金转到他卡上，能设大额转账吗"),
    ("a rental home that cannot be seen (English)",
     "The landlord is away in Dubai so I can't see the house first; he wants the deposit paid today and will "
     "courier the keys",
     "We viewed the house on Monday and the landlord wants the deposit paid today, is a same-day transfer possible?"),
    ("an instruction in its own clause after a cancelled everyday bill (romance logistics)",
     "婚恋网站认识的工程师说他要调回国内，需要我帮忙付设备托运的运费，货运公司要我今天转八万",
     "我在国外的表哥寄了些特产给我，快递公司叫我付一下到付运费，能用信用卡吗"),
    ("a job agency's fee before work (Cantonese)",
     "职介所话要我先交一千蚊体检费先可以上班", "公司话入职体检要自己去医院做，费用之后报销，我可唔可以用信用卡俾"),
    ("a job agency's fee before work (zh-Hant-TW)",
     "人力派遣公司說要先繳兩千元制服費才能上工", "派遣公司說制服費會從第一個月薪水扣，薪轉戶要去哪裡開"),
    ("'they say I must' is a reported obligation (task job)",
     "I do an online job liking videos; they say my account is in the red and I must deposit 500 to finish and "
     "get my commission back",
     "I rate products for a market research company and they pay me monthly, can the payments go into my savings?"),
    ("an institution's changed account (English)",
     "The school's email says their bank account has changed and the term fees must be paid to the new account "
     "by Friday",
     "The school's email says the term fees must be paid to their usual account by Friday, can I set up a payment?"),
    ("an institution's changed account; a call to check it disengages",
     "律所发邮件说收款账户改了，让我把首付款打到新账户",
     "律所发邮件让我把首付款打到他们的对公账户，我打电话去核实过了，转账要预约吗"),
    ("a scam on record is aftermath; a new contact after it is not",
     "上个月报了案拿了受案回执，现在又有个自称警察的说能追回，让我先交两千手续费",
     "报案以后派出所给了受案回执，民警让我来银行打一份交易流水"),
]


@pytest.mark.parametrize(("kind", "scam", "lookalike"), R8_KINDS, ids=[k for k, _, _ in R8_KINDS])
def test_round_r8_kinds_pin_the_scam_and_not_its_lookalike(
        pack: RulePack, kind: str, scam: str, lookalike: str) -> None:
    assert scenarios(pack, scam)[:1] == [FRAUD], kind
    assert FRAUD not in scenarios(pack, lookalike), kind


def test_probe_round_r8_scams_pin_and_no_lookalike_pins_fraud_third_party_or_skip(pack: RulePack) -> None:
    rows = probes(R8_PROBES)
    assert len(rows) == 47
    pins = [(str(r["text"]), bool(r["scam"]), set(scenarios(pack, str(r["text"])))) for r in rows]
    assert [t for t, scam, pinned in pins if (FRAUD in pinned) != scam] == []
    assert [t for t, scam, pinned in pins if not scam and {"third_party_inquiry", "skip_verification"} & pinned] == []


R11_KINDS = [
    ("a relative's own call is that relative; an accident and a friend's card make it a scam",
     "表姐刚打电话说她出了车祸在急诊，叫我先打一万五到她同事的卡上",
     "表姐在深圳工作，昨晚打电话让我给她转五千交物业的押金，我能用手机银行转吗"),
    ("a move between the owner's own accounts is no pretext; a stranger's account is",
     "我舅舅用一个新号加我，说他手机丢了，叫我把钱转到另一个人的户口",
     "我舅舅叫我帮他把活期转到他自己另一张卡上，他人在外地，我能代他操作吗"),
    ("papers and a visit to the station are the real police; a phone demand is not",
     "有个自称民警的打电话说我卡涉嫌洗钱，要我把存款转进他们的清查账户",
     "民警把冻结告知书寄到我家，叫我带身份证去所里处理，冻结的钱还在我卡上吗"),
    ("a debt collector's call is no order to pay; a collector demanding a private transfer is",
     "自称催收公司的人说我欠款逾期，要我今天把钱转到他个人的卡上才不上门",
     "有个催收公司的打给我，说我信用卡逾期了，我想查一下是不是真的欠款"),
    ("an offer put to the customer is no instruction",
     "对方说是贷款顾问，要我先交三千保证金才能放款",
     "微信上有个人说是理财经理，想给我介绍贷款产品，你们银行有这个人吗"),
    ("a past call that never came back is over; one back again is live",
     "前几天有人冒充警察让我转钱，我挂了，今天他又打来说不转就抓我",
     "前几天有人冒充警察让我转钱，我没理就挂了，后来也没再打来，要改密码吗"),
    ("個仔 is the customer's son: his own ask is everyday, a locked-up fee is not",
     "個仔話佢部手機壞咗用緊朋友電話，叫我即刻過兩萬去佢朋友個戶口",
     "個仔話學校旅行要交錢，叫我過一千蚊俾佢，點樣轉最快"),
]


@pytest.mark.parametrize(("kind", "scam", "lookalike"), R11_KINDS, ids=[k for k, _, _ in R11_KINDS])
def test_round_r11_kinds_a_known_persons_ask_an_authority_in_person_and_a_past_call_pin_only_the_scam(
        pack: RulePack, kind: str, scam: str, lookalike: str) -> None:
    assert scenarios(pack, scam)[:1] == [FRAUD], kind
    assert FRAUD not in scenarios(pack, lookalike), kind


@pytest.mark.parametrize(("text", "pinned"), [
    ("PayPal added a late fee to my Pay in 3 plan, can you get them to drop it?", []),  # "it" is the fee
    ("I've got no time, can we just skip this?", ["skip_verification"]),
    ("Is there an easier way for my grandad to check his balance himself?", []),  # he does it himself
    ("老細叫我每個月將佢嘅車位租金過落佢戶口，點樣設定自動轉帳", []),  # a payment into his account (落)
])
def test_skip_and_third_party_pins_need_the_checks_or_someone_elses_account(
        pack: RulePack, text: str, pinned: list[str]) -> None:
    assert scenarios(pack, text) == pinned


def test_a_pack_without_scam_parts_pins_its_fraud_rule_and_the_veto_stays_out(
        pack: RulePack, monkeypatch: pytest.MonkeyPatch) -> None:
    """The veto reads the parts' roles: a library's own pack without them keeps its fraud rule's pin
    and never asks the signal; the shipped pack drops a past call the signal scores below the bar."""
    from assist.lookup import pins

    def never() -> None:
        raise AssertionError("the signal was asked")

    text = "我外公早些年接过冒充税务局的电话，想给他的卡加一个转账短信提醒"
    own = RulePack(rules=tuple(r for r in pack.rules if not r.id.startswith("scam.")))
    with monkeypatch.context() as patched:
        patched.setattr(pins, "shipped_signal", never)
        assert FRAUD in [p.scenario for p in customer_pins(own, text, KNOWN)]
        assert FRAUD in [p.scenario for p in customer_pins(pack, text, KNOWN, complete=False)]
    assert FRAUD not in scenarios(pack, text)


@pytest.mark.parametrize("text", [
    "我舅舅就站在我身边，他让我帮他付这个月的物业费，我手机银行怎么操作",  # beside the customer
    "我奶奶亲口叫我从她存折里取五千给她看病，我可以代取吗",  # in her own voice
    "家姐坐喺我隔篱，叫我過三千去佢自己戶口交學費，轉數快有冇手續費",  # Cantonese, beside me
    "My uncle came round last night and asked me to cover his council tax, can I pay it by card",
    "客户经理小刘通知我下周去支行补签贷款合同，要本人到场吗",  # the bank's own staff, come and sign
    "上个月有人冒充航空公司叫我交改签费，我交了，这笔钱现在还能申诉吗",  # a past ask, a question now
    "刚才有个说是你们行风控部的电话，问我卡在不在身边，这个是真的吗？",  # a call-check question
    "那年一个假冒海关的让我交了罚金，我也交了，现在想问能不能出个流水给律师",  # a past ask told as done
])
def test_asks_by_people_the_customer_knows_are_no_fraud(pack: RulePack, text: str) -> None:
    """A known person's own ask in person, beside the customer or in their own voice, the bank's own
    staff asking the customer into the branch, a past scam's ask told with a question about now and
    a check question get no red banner (scam.disengaged.own_voice, .check.zh, scam.ours.visit.zh)."""
    assert FRAUD not in scenarios(pack, text)


@pytest.mark.parametrize("text", [
    "我舅舅用一个新号码打来，说他在派出所，让我马上转一万保证金给一个律师",  # a new channel
    "我奶奶自己打电话来，可是声音不太像，说要我先汇两万到一个安全账户",  # an odd voice
    "阿妹用朋友部手機打嚟，話要即刻過三萬去一個戶口，唔好同阿媽講",  # a borrowed phone, secrecy
    "My uncle messaged me himself on WhatsApp from a new number, he needs 900 sent to a friend now",
    "自称支行客户经理的人让我去银行把存款转到他给的监管账户",  # a claim, a held account
    "去年被骗过，现在又有个律师打电话让我先交五千才能追回，我正准备转",  # a new contact now
    "那年我也交过一次押金，现在又有个自称放款专员的人让我先交税，我正准备交",  # someone new now
])
def test_the_same_words_with_a_new_channel_or_a_stranger_still_pin(pack: RulePack, text: str) -> None:
    """The cancellers yield to a new or borrowed phone, an odd voice, a claim, an authority, a safe
    account or a payment under way: these are scams in progress."""
    assert FRAUD in scenarios(pack, text)


# The actor and the tense of a pattern's part (twenty-fifth round, issue 20), rules alone: each lookalike beside a
# scam in progress in the same words. Written for these tests.
ACTOR_AND_TENSE = [
    ("a relative's own call, told by a pronoun",
     "外孙女在上海实习，她打电话说这个月生活费不够，让我转两千过去",
     "外孙女在上海实习，她打电话说有个民警说她涉嫌洗钱，让我把存款转到安全账户"),
    ("the customer calling the bank",
     "我下午给你们热线打电话，语音提示让我把收到的验证码输进去，这样正常吗",
     "我下午给你们客服打电话，后来有个自称经理的人让我把钱转到他给的账户"),
    ("an indefinite opener naming someone known",
     "有个老同学要我帮他做个贷款担保人，担保人要负什么责任",
     "有个老同学的朋友说是海关的，要我先交清关费才能拿包裹"),
    ("a past entry of card data",
     "几个月前我在假冒的快递网站上填了卡号和有效期，卡早就换了，还有风险吗",
     "几个月前我在假冒的快递网站上填了卡号和有效期，现在有自称客服的人让我再报一次验证码"),
    ("the customer ending the session afterwards",
     "前几天我让一个“客服”远程控制了手机，后来反应过来马上关了，钱应该没少吧",
     "有个“客服”远程控制了我的手机，他说先别关，让我打开网银转账"),
]


@pytest.mark.parametrize(("kind", "lookalike", "scam"), ACTOR_AND_TENSE, ids=[k for k, _, _ in ACTOR_AND_TENSE])
def test_the_actor_and_tense_of_a_part_keep_the_lookalike_out_and_the_scam_in(
        pack: RulePack, kind: str, lookalike: str, scam: str) -> None:
    from assist.lookup.pins import fraud_pattern

    assert fraud_pattern(pack.hits(lookalike, audience="customer")) is None, kind
    assert fraud_pattern(pack.hits(scam, audience="customer")) is not None, kind


@pytest.mark.parametrize("text", [
    "昨晚手机忽然一格信号都没有，早上又来了两条登录提醒，都不是我登的",
    "My phone lost service this morning and then a new payee showed up that I never set up.",
    "有个自称快递客服的人打来，让我把退款验证码念给他听",
    "A man on the phone says he's from the tax office and wants me to move my savings today.",
    "帮我查一下上个月的信用卡账单",
    "I'd like to raise my daily transfer limit please.",
    "我妈妈让我帮她问问定期存款利率",
])
def test_fraud_pattern_exits_early_only_where_no_part_could_make_a_pattern(pack: RulePack, text: str) -> None:
    """fraud_pattern answers None without sorting roles where no hit holds a role a pattern needs
    (pins.PATTERN_ROLES): the answer is that of sorting them (the role patterns, then a takeover's
    effects), and a takeover told by its effects alone, with no stranger or instruction, still pins."""
    hits = pack.hits(text, audience="customer")
    rules = sorted((h for h in hits if h[0].pin == FRAUD), key=lambda h: (_shipped(h[0]), h[1].span))
    roles = _roles_pattern(hits, rules)
    assert fraud_pattern(hits) == (roles if roles is not None else takeover_pattern(hits))
    needed = any(rule.id.startswith(PATTERN_ROLES) for rule, _ in hits)
    assert needed or fraud_pattern(hits) is None


def test_a_takeover_without_a_stranger_passes_the_early_exit(pack: RulePack) -> None:
    """The early exit keeps the effects of a takeover (pins.EFFECT_KINDS among PATTERN_ROLES): with no
    stranger, instruction or payment among the hits, the effects still make the pattern."""
    text = "手机一整天都没信号，还收到好几条验证码，可我根本没申请过，现在还提示绑定了新设备"  # test_pin_types_r17's
    hits = pack.hits(text, audience="customer")
    assert not any(rule.id.startswith(NEEDED) for rule, _ in hits)
    found = fraud_pattern(hits)
    assert found is not None and all(rule.id.startswith((*PATTERN_ROLES[len(NEEDED):], DISOWNED, NOW))
                                     for rule, _ in found)
