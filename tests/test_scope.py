"""The scope engine's dismissals (prohibitions said after what they prohibit), and the shipped
pack's readings of wording that only looks like a violation: a gloss, a code typed into the
bank's own app, a real deposit's fixed rate."""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from assist.compliance.scope import gap_negation, scopes
from assist.text.normalise import normalise


def _dismissals(text: str) -> list[str]:
    norm = normalise(text)
    at = norm.index("别理")
    hits = {"scope.dismissal": [(at, at + 2)]}
    return [norm[s.start:s.end] for s in scopes(norm, (0, len(norm)), hits) if s.kind == "dismissal"]


def test_a_dismissal_reaches_back_only_when_it_closes_its_clause() -> None:
    assert _dismissals("叫您报密码的，别理") == ["叫您报密码的,"]
    assert _dismissals("叫您报密码的，别理，挂掉就好") == ["叫您报密码的,"]
    assert _dismissals("把密码报给我，别理那几条提醒短信") == []  # it names its own object


def categories(pack: RulePack, text: str) -> set[str]:
    return {v.category for v in pack.check(text, audience="agent")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a prohibition after the request it dismisses; a dismissal of something else is no warning
        ("陌生电话要您把卡背面三位数报过去的，全都别理。", set()),
        ("Anyone phoning for the passcode on that text, just hang up.", set()),
        ("卡背面三位数报给我，别理银行那些提醒。", {"credential_request"}),
        # a term glossed where it is used, and one that is not
        ("CNAPS 是人民银行的…", {"jargon"}),
        ("CNAPS是央行建的跨行支付的清算系统，同行跨行都走它。", set()),
        # the customer keys the code into the bank's own app; read out to the agent it is a request
        ("短信里的数字请输入到手机银行，我这边不需要知道。", set()),
        ("短信里的数字输入到手机银行之前先念给我。", {"credential_request"}),
        # a deposit's rate fixed at opening; an investment's payout said to be fixed
        ("这笔整存整取的利率是固定的，三年不变。", set()),
        ("这款理财每年派息是固定的，您放心。", {"promise_guaranteed_return"}),
    ],
)
def test_shipped_pack_reads_after_the_fact_warnings_glosses_self_entry_and_deposits(
        pack: RulePack, text: str, expected: set[str]) -> None:
    assert categories(pack, text) == expected


def _negations(text: str, trigger: str, continuation: str | None = None) -> list[str]:
    """The negation scopes a trigger at its first occurrence opens (``continuation``: the word
    that continues a list, marked everywhere)."""
    norm = normalise(text)
    at = norm.index(trigger)
    hits = {"scope.negation": [(at, at + len(trigger))]}
    if continuation:
        hits["scope.continuation"] = [(i, i + len(continuation)) for i in range(len(norm))
                                      if norm.startswith(continuation, i)]
    return [norm[s.start:s.end] for s in scopes(norm, (0, len(norm)), hits) if s.kind == "negation"]


def test_a_negative_potential_complement_negates_nothing_after_it() -> None:
    assert _negations("你入唔到app就话我知个密码", "唔") == []  # cannot get in: a complement
    assert _negations("退款办不了先放着", "不") == []
    assert _negations("您不到场也能办", "不") != []             # a pronoun before 不: a negation
    assert _negations("我们不会问您密码", "不") != []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # composed refusals, with no way forward
        ("这笔年费是退不回去的。", {"bare_refusal"}),
        ("跨境汇款我们一律不给加急。", {"bare_refusal"}),
        ("本行並無此種安排。", {"bare_refusal"}),
        ("That transfer can't be recalled.", {"bare_refusal"}),
        ("提前还款？这个改不了。", {"bare_refusal"}),          # the question echoes the request
        ("这张卡销不掉。还有什么可以帮您的吗？", {"bare_refusal"}),  # a closing offers no way forward
        ("That fee can't be reversed. Anything else I can help with?", {"bare_refusal"}),
        ("这笔退不了，您就等着吧。", {"bare_refusal"}),            # nor does "just wait"
        # the same shapes that reassure, warn or offer
        ("账户冻结了，您的钱谁也取不了。", set()),
        ("千万不能把钱转给陌生人。", set()),
        ("这笔退不了，要不要我帮您申请分期？", set()),
        ("提前还款改不了日期，您可以在手机银行预约。", set()),
        ("You can't lose the cover by switching cards.", set()),
        # a reminder does not soften disparagement; 无所谓 is no reported speech
        ("提醒您一句，这个年纪就别瞎折腾网银了。", {"disparaging_customer"}),
        ("人脸没过也无所谓，我后台给您通过。", {"skip_verification"}),
    ],
)
def test_shipped_pack_reads_composed_refusals_and_their_lookalikes(
        pack: RulePack, text: str, expected: set[str]) -> None:
    assert categories(pack, text) == expected


def test_an_english_main_clause_is_no_item_of_a_negated_list() -> None:
    # a list of what we never do continues over its commas ...
    assert _negations("we never ask for your pin, your password and the code", "never", "and") == [
        " ask for your pin, your password and the code"]
    # ... but a clause opened by its own subject is the agent's act, outside the negation
    reach = _negations("as your phone can't get texts, i'll unlock it and carry on", "can't", "and")
    assert reach == [" get texts"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Since your phone can't get texts, I'll override the check this time.", {"skip_verification"}),
        ("We will never ask you to read out a code, share your screen or move money.", set()),
    ],
)
def test_shipped_pack_reads_a_conditional_negation_as_its_clause_only(
        pack: RulePack, text: str, expected: set[str]) -> None:
    assert categories(pack, text) == expected


def _quoted(text: str, cues: dict[str, str]) -> list[str]:
    """The reported scopes quotations open, ``cues`` mapping a cue phrase to its lexicon."""
    norm = normalise(text)
    hits: dict[str, list[tuple[int, int]]] = {}
    for phrase, name in cues.items():
        at = norm.index(phrase)
        hits.setdefault(name, []).append((at, at + len(phrase)))
    return [norm[s.start:s.end] for s in scopes(norm, (0, len(norm)), hits) if s.kind == "reported"]


def test_a_quotation_after_a_speech_verb_or_named_as_words_is_reported() -> None:
    # the quotation only, commas and all; what follows it is the agent's own
    assert _quoted("她讲：「先把钱转走，再慢慢查」，您别照做", {"讲": "scope.speech"}) == ["先把钱转走,再慢慢查"]
    assert _quoted("“稳赚、零风险”这类说法都要当心", {"这类说法": "scope.said"}) == ["稳赚、零风险"]
    # a quote with no cue beside it (a button's label, a speech verb far before it) is no report
    assert _quoted("请点“同意”完成", {"请": "scope.speech"}) == []
    assert _quoted("说好了，明天您点“同意”", {"说": "scope.speech"}) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a fraudster's words quoted after a speech verb, or named as words after the quote
        ("陌生人来电称：“您的卡涉案，把钱转进安全账户接受审查”，这是假的公安。", set()),
        ('The man on the phone claimed "just read me the code from the text", which no bank says.', set()),
        ("「穩賺唔蝕、包回本」呢類說話一聽就知係呃人。", set()),
        # a quoted label with no speech verb is the agent's instruction
        ("打开“屏幕共享”，我这边就能帮您操作。", {"unsafe_transfer_instruction"}),
        # the other party's capability told back; a refusal that closes the scammer's request
        ("这个软件一装上，对方就能看到您手机上的一切。", set()),
        ("要是有人冒充警察，要您把现金交给上门取钱的人，请直接拒绝。", set()),
        ("把存款交给上门取钱的同事，千万别拒绝。", {"unsafe_transfer_instruction"}),
        # the customer's own wish, in a conditional; the agent's promise stays one
        ("您想要本金有保障的话，国债和定存更合适。", set()),
        ("这只基金本金有保障，您放心买。", {"promise_guaranteed_return"}),
        # a term glossed by a description ending in what it is
        ("FATCA，是美国要求境外金融机构报送美国客户信息的一套规则。", set()),
    ],
)
def test_shipped_pack_reads_quotations_refusals_and_wishes(pack: RulePack, text: str, expected: set[str]) -> None:
    assert categories(pack, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a scope opened in a bracketed note ends with the note
        ("（来电人说是她女儿）好的，您妈妈这个月的账单是三千二。", {"privacy_disclosure"}),
        ("（提醒：千万别透露验证码）验证码请勿告诉任何人。", set()),
        # 趁未…之前 is "before", no negation of what follows
        ("趁还没被冻结，赶紧把钱转到我给您的保管账户。", {"unsafe_transfer_instruction"}),
        # Cantonese 咪 after a negative potential complement is "then"; before a verb, "don't"
        ("你收唔到短訊咪讀個密碼俾我聽。", {"credential_request"}),
        ("咪讀個密碼俾任何人聽。", set()),
        # the customer's question named back reaches its clause only
        ("您问为什么扣了钱，是因为这笔走了SWIFT。", {"jargon"}),
    ],
)
def test_shipped_pack_reads_asides_before_clauses_then_and_questions_named_back(
        pack: RulePack, text: str, expected: set[str]) -> None:
    assert categories(pack, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "don't ask me" deflects; it warns of nothing
        ("别问我，这是商户那边的问题。", {"blame_shifting"}),
        ("唔好問我，係商户嗰邊嘅問題。", {"blame_shifting"}),
        # a check the customer failed is a problem statement, no negation of the waiver after it
        ("密保问题没答对也不打紧，我先帮您把手机号改了。", {"skip_verification"}),
    ],
)
def test_shipped_pack_reads_deflections_and_failed_checks(pack: RulePack, text: str, expected: set[str]) -> None:
    assert categories(pack, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a warning printed on a message, quoted as its label, warns of nothing outside the quote
        ("就是那条写着“切勿转发”的短信，里面的验证码念给我。", {"credential_request"}),
        ("請勿把「驗證碼」告訴任何人，包括我。", set()),
        # 以免 inside 可以免 is no prohibition
        ("说可以免年费的那个同事走了，他的话我们不认账。", {"blame_shifting"}),
    ],
)
def test_shipped_pack_reads_quoted_labels_and_straddled_triggers(pack: RulePack, text: str, expected: set[str]) -> None:
    assert categories(pack, text) == expected


def test_english_single_quotes_quote_after_a_speech_verb_and_a_determiner() -> None:
    # typed quote marks, and a typographic pair (normalised text holds "'" for the closing one)
    assert _quoted("your uncle said a 'holding account' keeps it safe", {"said": "scope.speech"}) == [
        "holding account"]
    assert _quoted("he said ‘ignore the bank’ twice", {"said": "scope.speech"}) == ["ignore the bank"]
    # apostrophes open no quotation; a quote with no speech verb before it is the agent's words
    assert _quoted("he said it's fine and they're done", {"said": "scope.speech"}) == []
    assert _quoted("they said to press 'allow' now", {"said": "scope.speech"}) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a term quoted after someone's speech verb is their word, not the agent's instruction
        ("Your brother said a 'safe account' would help, but no such account exists.", set()),
        ("Move everything into the 'safe account' I set up for you.", {"unsafe_transfer_instruction"}),
        # the speaker and verb (对方说) open a report, even where a rule reads 对方 as a party to blame
        ("对方说您的包裹有问题？那是骗人的。", set()),
        ("这是对方银行的问题，跟我们无关。", {"blame_shifting"}),
        # declining to promise an outcome is a disclaimer; declining the service is a refusal
        ("我这边没办法先讲一定能退，要看商户审核。", set()),
        ("没办法，这笔一定要本人来办。", {"bare_refusal"}),
        ("这个没办法，退不了。", {"bare_refusal"}),
    ],
)
def test_shipped_pack_reads_quoted_terms_reported_speakers_and_denied_certainty(
        pack: RulePack, text: str, expected: set[str]) -> None:
    assert categories(pack, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a relative named in a condition and told the figures in its consequence: a disclosure
        ("如果您家人着急用钱，我可以把您的余额先告诉他们。", {"privacy_disclosure"}),
        # a scam's hallmark named after the quoted term or the act: a verdict over what precedes it
        ("把钱挪去“安全账户”，在冒充公检法的诈骗里最常见。", set()),
        ("Parking savings in a 'protected account' is a classic scam tactic.", set()),
        ("你下载个“远程协助”，我帮你操作。", {"unsafe_transfer_instruction"}),
        # words marked as quoted ("I quote", 原话) are reported speech
        ('She said, and I quote, "read me that PIN so I can lock the card".', set()),
        ("他的原话是：“卡背面三位数报给我就给您退款”。", set()),
        # a product type said to be withdrawn from the market is a fact of regulation, no promise
        ("保本型的银行理财已经退出市场了。", set()),
    ],
)
def test_shipped_pack_reads_scam_hallmarks_and_quote_marks(
        pack: RulePack, text: str, expected: set[str]) -> None:
    assert categories(pack, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # what a fault caused the customer (导致您…不了, 搞到你…唔到) is a problem statement
        ("是我们的系统升级导致您转不了账，手续费我给您退回。", set()),
        ("網絡故障搞到你匯唔到款，我哋已經修好。", set()),
        ("这笔我们转不了。", {"bare_refusal"}),
        # a blocked card does not excuse a refusal of something else
        ("卡已经挂失好了，这笔年费退不了。", {"bare_refusal"}),
        # a term glossed by "you can understand it as"
        ("T+2您可以理解为下单后第二个工作日到账。", set()),
        # deposit insurance named beside an investment does not soften its promise
        ("这款理财有存款保险兜底，本金肯定不会少。", {"promise_guaranteed_return"}),
    ],
)
def test_shipped_pack_reads_caused_problems_and_glosses(
        pack: RulePack, text: str, expected: set[str]) -> None:
    assert categories(pack, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a correction (其实, in fact) closes a scope like a turn (但是, but): what follows is said
        ("千万别被吓到，其实这款是保本的。", {"promise_guaranteed_return"}),
        ("Please don't panic; in fact your capital is protected.", {"promise_guaranteed_return"}),
        # a scam named typical after the act it describes
        ("装个视频软件再开共享屏幕让人帮您操作，这是典型的骗局。", set()),
    ],
)
def test_shipped_pack_reads_corrections_and_typical_scams(
        pack: RulePack, text: str, expected: set[str]) -> None:
    assert categories(pack, text) == expected


def test_a_negation_closing_its_clause_after_a_subject_reaches_over_inserted_words() -> None:
    assert _negations("we shall never, in any case, phone you for a pin", "never") == [
        ", in any case, phone you for a pin"]
    assert _negations("oh no, phone me with the pin", "no") == [""]  # an answer, negating nothing
    # a longer negation word starting before a pseudo phrase (不通过, a failed check) is a negation
    norm = normalise("本行从不通过短信索要密码")
    at = norm.index("从不")
    hits = {"scope.negation": [(at, at + 2)], "scope.pseudo": [(at + 1, at + 4)]}
    assert [s.kind for s in scopes(norm, (0, len(norm)), hits)] == ["negation"]
    hits = {"scope.negation": [(at + 1, at + 2)], "scope.pseudo": [(at + 1, at + 4)]}
    assert scopes(norm, (0, len(norm)), hits) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("本行从不通过短信要求您提供密码。", set()),
        ("We would never, under any circumstances, ask you to read out your PIN.", set()),
        ("Oh no, just read out your PIN to me then.", {"credential_request"}),
        ("人脸没通过也没关系，我直接帮您改。", {"skip_verification"}),
    ],
)
def test_shipped_pack_reads_negations_over_inserted_words_and_before_pseudo_phrases(
        pack: RulePack, text: str, expected: set[str]) -> None:
    assert categories(pack, text) == expected


def test_plain_single_quotes_quote_chinese_words_and_said_words_are_quoted() -> None:
    # typed single quotes around Chinese words quote them; none can be an apostrophe there
    assert _quoted("邻居说过'钱放那边翻一番',这种话别信", {"这种话": "scope.said"}) == ["钱放那边翻一番"]
    assert _quoted("他说'先转过去再说", {"说": "scope.speech"}) == []  # a lone mark closes nothing
    # a speech verb and 的/嘅 before the quotation (你讲的“…”, 佢講嘅「…」): the words said
    assert _quoted("你讲的“零风险”只适用于存款", {"讲": "scope.speech"}) == ["零风险"]
    assert _quoted("你讲的东西“零风险”", {"讲": "scope.speech"}) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a guarantee quoted in single quotes and named as words: reported, not promised
        ("隔壁柜员讲这款理财'一分不会亏',这句话就是违规的。", set()),
        ("这款理财一分不会亏，您放心。", {"promise_guaranteed_return"}),
        # the customer's word quoted back after 您说的: the rest of the sentence speaks of it
        ('您说的"稳赚"，放在这款基金上并不成立，净值会涨也会跌。', set()),
        # a quotation named as what fraudsters say, however the English words it
        ('"Park it in a frozen-proof account for us" is exactly what fraudsters say, so please hang up.',
         set()),
        # a person described as telling the customer something: their words, not the agent's
        ('Anybody who tells you to move your ISA into a "secure holding account" is lying to you.', set()),
        # statutory deposit protection named is a fact about deposits; an investment's promise stays one
        ("三个月定期属于存款，纳入存款保险，二十万以内本金不会少。", set()),
        ("这款净值型理财本金不会少，放心买。", {"promise_guaranteed_return"}),
        # no need to give the code is advice, not a waived check
        ("真客服不需要您提供验证码，有人要就挂掉。", set()),
        ("验证就不用了，我直接帮您改密码。", {"skip_verification"}),
    ],
)
def test_shipped_pack_reads_single_quoted_words_named_speakers_and_deposit_protection(
        pack: RulePack, text: str, expected: set[str]) -> None:
    assert categories(pack, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "whoever asks you" with 只要: a condition describing a fraudster, not the agent's request
        ("不管是谁来电，只要他要您报出短信里的数字，那就一定是骗子。", set()),
        ("现在把短信里的数字报给我。", {"credential_request"}),
        # the bank owning the fault is no blame shifted, even beside a cause named elsewhere
        ("这次扣费失败源自清算系统升级，责任在我们，手续费全额豁免。", set()),
    ],
)
def test_shipped_pack_reads_conditions_on_whoever_asks_and_owned_faults(
        pack: RulePack, text: str, expected: set[str]) -> None:
    assert categories(pack, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the holder's authorisation required, or the details kept from a third party: no disclosure
        ("如果您爱人想看您的账单明细，需要由您本人授权，我们这边不会透露给他。", set()),
        ("您是他爱人？那我跟您说，他这个月账单是五千二。", {"privacy_disclosure"}),
        # a term defined by who publishes it is glossed; the same term bare is jargon
        ("SLF是央行公布的常备借贷便利利率，银行短期缺钱时用。", set()),
    ],
)
def test_shipped_pack_reads_authorisation_and_glosses_by_source(
        pack: RulePack, text: str, expected: set[str]) -> None:
    assert categories(pack, text) == expected


@pytest.mark.parametrize(
    ("text", "verified"),
    [
        ("好的，核对问题都答对了，您这张卡的账单日是每月五号。", True),
        ("多謝你，答晒核對問題，張卡仲有八千蚊額度。", True),
        ("Thanks, you've passed security, so the standing order went out on the 3rd.", True),
        # checks still to come are not checks done
        ("请先回答几个核对问题，再告诉您余额。", False),
    ],
)
def test_a_check_the_caller_has_passed_is_read_as_the_holder_verified(
        pack: RulePack, text: str, verified: bool) -> None:
    assert bool(pack._read(text, "agent").phrase_hits.get("holder_verified")) is verified


def _gap_negation(text: str, gap: str, negation: str, tails: tuple[int, ...] = ()) -> str | None:
    at, where = text.index(gap), text.index(negation)
    hits = {"scope.negation": [(where, where + len(negation))]}
    found = gap_negation(text, [(at, at + len(gap))], hits, tails)
    return None if found is None else text[found[0]:found[1]]


def test_a_negation_in_a_gap_negates_the_hit_unless_it_is_a_word_of_the_gap() -> None:
    assert _gap_negation("保证不了哪天到", "不了哪天", "不") == "不"  # the complement of 保证
    assert _gap_negation("you'll get none of it back", "none of it", "none") == "none"
    assert _gap_negation("保证征信上查不到", "征信上查不", "不") is None  # the complement of 查
    assert _gap_negation("不用急，保证下周到", "下周", "不") is None  # outside the gap
    # a complement right after a word of the hit negates it; 不到 is also "less than"
    assert _gap_negation("我保证不了明天到账", "明天", "不", tails=(3,)) == "不"
    assert _gap_negation("余额不到两百块", "两百", "不", tails=(2,)) is None
