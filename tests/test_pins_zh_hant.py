"""The scam-pattern roles in Taiwan and Hong Kong wording and in Cantonese (assist.lookup.pins).

Text is folded traditional -> simplified before matching, so what differs is vocabulary and word
order: 佢/佢哋, 俾/畀, 过数/入数/转数快, 讲俾佢听, 网上理财, 户口, 差佬, 入境处 (Hong Kong); 汇款, 网路银行,
简讯, 约定帐户, 解除分期, 健保署, 地检署 (Taiwan). Written for round 25 of the pins as one example
per concept, after its probe round (scripts_library/rules/scam_texts/pin_probes.jsonl, round 25) was measured; dev data.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack
from assist.lookup.pins import FRAUD, customer_pins
from tests.overlap import near_pairs
from tests.test_pins import KNOWN, dev_texts

SCAMS = [
    "電話入面個阿sir叫我將個OTP讀出嚟，話要核實我身份",
    "對面叫我send張提款卡相俾佢睇",
    "有個陌生號碼打嚟，叫我去7仔買點數卡，將序號影相send俾佢",
    "打嚟嘅男仔話我有包裹俾海關扣咗，要我入數五千先可以放行",
    "LINE上認識的女生叫我把積蓄搬到她介紹的交易所，說穩賺不賠",
    "對方要我開視訊分享螢幕，他說要幫我檢查網路銀行",
    "那個刑事局的警官要我每天跟他回報，還叫我把定存解約轉出去",
    "有人扮入境處職員，話我要交一萬蚊行政費先可以解除警示",
    "佢話係廉政公署，叫我唔好收線，要我將啲錢轉去一個保護戶口",
    "網路貸款平台說要先繳保證金才能撥款給我",
    "佢叫我喺網上理財度新增收款人，話咁樣個戶口先唔會俾人凍結",
    "自稱健保署的人要我到ATM操作，他說這樣才能退還多繳的保費",
    "一個自稱證監會嘅人話我買嘅股票係非法，要我轉晒錢去佢指定嘅戶口",
    "對方叫我將張卡卡背三個號碼講俾佢聽",
    "有人打嚟話我張信用卡有異常簽賬，叫我撳條link入埋張卡嘅有效日期",
    "網上兼職嘅Telegram群組話要先轉三千蚊做保證金先可以開工",
    "那個投資老師說不再入金的話帳戶就會被凍結，要我今天就匯",
    "個差佬話我唔配合就會拉我，叫我即刻過數",
    "佢一路喺電話度教我點樣揿提款機",
    "對方一直在電話上教我怎麼操作網銀",
    "佢要我將張卡嘅密碼話俾佢知",
    "有個自稱台電的人說我欠電費，要我去ATM轉帳不然明天斷電",
    "他說我的帳戶被當成人頭帳戶，要我把錢領出來交給來收的專員保管",
    "客服說要幫我取消重複扣款，要我提供金融卡背面的號碼",
    "網上認識嘅男朋友話佢喺海外寄咗禮物俾我，要我先俾清關費",
    "有個聲稱係銀行嘅人叫我喺手機撳個掣授權，我已經撳咗",
    "對面個男人話我個仔喺佢手上，要我即刻過十萬",
    "蝦皮賣家說我的帳戶沒通過認證，叫我照客服的指示到網路銀行轉帳驗證",
    "啱啱有個自稱入境處嘅人叫我轉錢去監管戶口，佢仲喺度等緊我",
    "頭先有人打嚟叫我報埋個OTP，佢話唔報就會凍結我個戶口",
    "舊年俾人呃過，而家有個追款公司話可以幫我追返，但要我先俾三萬蚊手續費",
    "上次那個網友又打來了，說要我再匯十萬才能把之前的錢領出來",
    "對方叫我開埋個網上理財俾佢睇，話要幫我檢查",
    "他叫我去超商繳代碼，說繳完就能把退款退給我",
    "佢話我張卡有問題，要我將張卡寄去佢哋公司",
    "對方叫我把金融卡寄到他指定的地址，說要幫我換新卡",
    "個男人叫我喺WhatsApp send個verification code俾佢",
    "佢哋要我俾埋身份證同提款卡密碼佢",
    "A man on the phone wants me to FPS him 20,000 to keep my account safe",
    # Hong Kong English
    "The caller says he is from the ICAC and my account is linked to money laundering, he told me to move everything",
]
"""Scams in progress: a stranger, a platform or a known person with a marker, instructing now."""

NOT_SCAMS = [
    "琴日有個自稱差佬嘅人叫我過數，我冇理佢，想問下要唔要報警",
    "上個禮拜有人打俾我話係入境處，我收咗線，係咪呃人",
    "前排有個人叫我裝軟件，我冇裝，我個戶口會唔會有事",
    "之前有人在LINE上叫我匯錢投資，我已經封鎖他了",
    "上個月我爸爸被假警察騙了，你們可以幫他凍結帳戶嗎",
    "萬一有自稱銀行的人叫我到ATM操作，要怎麼辦",
    "你哋會唔會叫客人將錢轉去監管戶口？",
    "真嘅差佬會唔會打電話叫人過數",
    "我阿媽叫我幫佢交電費，網上理財點交",
    "我老細叫我幫公司轉數俾供應商，批量轉帳點做",
    "我家姐話佢張卡唔見咗，叫我過住一千蚊俾佢",
    "你們行員叫我帶身分證去臨櫃解除網路銀行的鎖定",
    "收唔到短訊驗證碼，點樣先可以用網上理財",
    "我想改網路銀行的約定帳戶，要去分行嗎",
    "轉數快過數要唔要手續費",
    "ATM提款的時候簡訊通知一直沒來",
    "八達通自動增值失敗，係咪你哋張卡有問題",
    "我想用提款卡喺外地攞錢，要唔要開通海外提款",
    "睇到新聞話有人扮入境處呃錢，我想幫阿媽設定轉帳限額",
    "聽人講有人扮差佬叫人轉錢，你哋有冇提醒服務",
    "要唔要俾錢先可以補領提款卡？",
    "差人叫我去警署落口供，講我部電話俾人偷咗，需唔需要停用網上理財",
    "蝦皮退款退到我的信用卡要多久",
    "我老闆叫我把公司的款項轉到供應商的帳戶，網銀一天上限多少",
    "我阿爸叫我教佢點樣用網上理財轉帳",
    "行員教我怎麼操作網銀的約定轉帳，但我忘了步驟",
    "佢話會還返錢俾我，我應該用轉數快定係入票",
    "爸爸說他的提款卡密碼忘了，叫我幫他問要怎麼重設",
    "網上理財加收款人要幾耐先生效",
    "早排有個自稱入境處嘅人叫我轉錢去監管戶口，我冇轉，想問下點報案",
    "琴日有人打嚟叫我報埋個OTP，我即刻收咗線",
    "上個禮拜有個客服叫我裝遠程軟件退款，我冇裝，想確認下戶口冇事",
    "舊年有個網友叫我過數投資虛擬幣，結果呃咗我五萬，而家仲追唔追得返",
    "之前有個假差佬叫我攞晒啲錢出嚟，好彩我冇聽佢講",
    "前日有個男人話我仔出咗事要我過數，後尾先知係呃人",
    "上個月有人在LINE冒充我老闆叫我匯款，我有打電話確認才沒上當",
    "去年有人打來說是健保署要我去ATM操作，後來才發現是詐騙",
    "假如有人叫我阿媽開Zoom分享螢幕，佢應該點做",
    "如果有自稱差佬嘅人打嚟叫我過數，我可以點樣核實",
    "第日如果有人打俾我阿爸話要交保證金，你哋會唔會幫手攔截",
    "要是有人叫我把簡訊驗證碼唸給他，我該怎麼處理",
    "聽講有人會扮銀行職員叫人轉錢去安全戶口，係咪真㗎",
    "銀行會不會打電話叫客戶把定存解約轉到別的帳戶？",
    "真嘅入境處會唔會叫人交罰款",
    "我想喺網上理財調高轉帳限額，點做",
    "超商繳卡費要手續費嗎",
    "我張卡壞咗，你哋可唔可以寄張新卡俾我",
    "你們行員叫我把舊的金融卡寄回分行，這樣對嗎",
]
"""Lookalikes: past contacts told in Cantonese, hypotheticals, relatives' everyday transfers, the
bank's own staff, other platforms, fee questions."""


def fraud(pack: RulePack, text: str) -> bool:
    return FRAUD in [p.scenario for p in customer_pins(pack, text, KNOWN)]


@pytest.mark.parametrize("text", SCAMS)
def test_zh_hant_and_cantonese_scams_in_progress_pin_fraud(pack: RulePack, text: str) -> None:
    assert fraud(pack, text)


@pytest.mark.parametrize("text", NOT_SCAMS)
def test_zh_hant_and_cantonese_lookalikes_pin_no_fraud(pack: RulePack, text: str) -> None:
    assert not fraud(pack, text)


def test_a_past_contact_told_in_cantonese_cancels_like_the_mandarin_one(pack: RulePack) -> None:
    assert fraud(pack, "有個自稱入境處嘅人叫我轉錢去監管戶口")
    assert not fraud(pack, "早排有個自稱入境處嘅人叫我轉錢去監管戶口，我冇轉")
    assert fraud(pack, "有个自称入境处的人叫我转钱去监管账户")
    assert not fraud(pack, "前阵子有个自称入境处的人叫我转钱去监管账户，我没有转")


def test_the_examples_are_not_copies_of_any_pin_data_set() -> None:
    texts = SCAMS + NOT_SCAMS
    close = [texts[i] for i, _, _ in near_pairs(texts, dev_texts(), 0.7)]  # ratio(text, other) >= 0.7
    assert close == []
