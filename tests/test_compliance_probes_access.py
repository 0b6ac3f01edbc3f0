"""The frozen access probe set of the fifteenth round, read by the shipped rules alone.

``tests/compliance_probes_r15_access.jsonl`` was written (fresh wording, zh-Hans, zh-Hant
Taiwan and Hong Kong, Cantonese, English) and scored before the round's lexicon change: 72
violations over the four access categories (codes asked for while the line stays open, typed
into the chat or pointed at as "the digits that just arrived"; money moved to a supervised or
holding account, or a remote app installed, as the bank's own instruction; a holder's figures
told to a spouse, parent, child or a caller claiming police; checks skipped as a favour, on a
neighbour's or son's word, or because the caller sounds right) and 67 lookalikes that must stay
clean (warnings never to read a code, uninstall and don't-download instructions, refusals with a
route for the holder, checks kept after a claim). Before the change the rules found 57/72 and
flagged 5/67 clean lines (1 as skip_verification, 4 as bare_refusal: a check refused without a
way forward, which this round leaves to the refusal rules). After it: 72/72 found, 5/67 clean
lines flagged, all five bare refusals and none in the four categories.

The file's figures (what it holds, the rules alone on it) are its row in
tests/test_probe_rounds.py; this module keeps the round's hand-written examples.
"""

from __future__ import annotations

import pytest

from assist.compliance.rules import RulePack

ACCESS = ("credential_request", "unsafe_transfer_instruction", "privacy_disclosure", "skip_verification")


def categories(pack: RulePack, text: str) -> set[str]:
    return {v.category for v in pack.check(text, audience="agent")}


@pytest.mark.parametrize(("text", "category"), [
    # a code asked for while the line stays open: the "don't" presses, it forbids nothing
    ("电话先不要挂，您把手机上刚弹出来的验证数字逐个读给我。", "credential_request"),
    ("请先別掛斷，把簡訊裡那串號碼唸給我聽。", "credential_request"),
    ("咪收線住，你將個一次性密碼讀出嚟。", "credential_request"),
    ("Stay on the line and read me the code as soon as it arrives.", "credential_request"),
    ("我看到您屏幕了，把密码在评论框里打一下。", "credential_request"),
    # a supervised or holding account, a remote app, as the bank's own instruction
    ("按总行的安排，请您把资金转入我们的保护性监管账户。", "unsafe_transfer_instruction"),
    ("Per our fraud procedure, your money goes into the bank's supervised account today.",
     "unsafe_transfer_instruction"),
    # a holder's figures told to a relative or a caller claiming police
    ("您公公这个月的退休金已经到账了，两千八。", "privacy_disclosure"),
    ("阿sir，呢位客戶張卡上個禮拜碌咗三萬。", "privacy_disclosure"),
    ("Your sister's loan is two payments behind.", "privacy_disclosure"),
    # verification skipped on someone else's word or a voice
    ("既然您邻居说您就是本人，验证就不搞了。", "skip_verification"),
    ("你把聲聽落就係本人，咁保安問題唔問喇。", "skip_verification"),
    ("Your daughter vouched for you, so I'll skip the questions.", "skip_verification"),
])
def test_mechanisms_of_the_round_carry_to_new_wording(pack: RulePack, text: str, category: str) -> None:
    assert category in categories(pack, text)


@pytest.mark.parametrize("text", [
    # prohibitions after their object: the tool named, then taken off or left off
    "那个投屏软件请先删掉，然后我们再改密码。",
    "您手机上那个远程软件，请先卸载，再改密码。",
    "远程软件先别装。",
    "遙距app唔好裝住。",
    "The remote desktop tool they mentioned, please uninstall it and restart your phone.",
    # "don't hang up" beside a warning stays a warning
    "别挂电话，验证码千万不要告诉任何人。",
    "Don't hang up yet; I'm going to block the card, and never read the code to anyone.",
    # a claim or a vouching named, then the check kept
    "您邻居说是您也不行，我们还是要核对。",
    "Your daughter can't vouch for you; I still need to verify you.",
    # facts kept for the holder
    "您公公的退休金情况，需要他本人来查询。",
])
def test_warnings_and_kept_checks_stay_clean(pack: RulePack, text: str) -> None:
    assert not categories(pack, text) & set(ACCESS)
