"""Write synthetic call transcripts with planted compliance violations and script adherence.

    python eval/synthetic_calls/generate.py --calls 1200 --out eval/synthetic_calls/calls.jsonl

Each call: 2 or 3 exchanges of a customer turn (one of 12 scenarios, in wording written
here, not taken from the dev set or the library) and the agent's reply. The agent's reply
is, by a seeded draw:

* **adherent**: a paraphrase (written here, different from the adherence sample the
  threshold was chosen on) of the scenario's empathy + solution preview;
* **off script**: a bare or procedural reply;
* and, independently, in 12 % of agent turns a **violation** is appended: a phrase from
  one of the rule pack's categories, written here (credential requests, guaranteed
  returns, remote control, investments called deposits, blame, bare refusals,
  over-promises, disparaging the customer).

Truth goes in extra fields of each turn (``truth_adherent`` on the agent turn after a
customer turn, ``truth_violation`` with the category) that ``assist inspect`` ignores.
Calls belong to 40 agents in 5 teams; two agents violate three times as often.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

CUSTOMER = {
    "account_frozen": ["我账户怎么突然被冻结了，工资都取不出来", "账户被锁了，付不了房租怎么办", "为什么我的卡显示账户冻结"],
    "card_lost_stolen": ["我卡好像掉在出租车上了", "钱包连卡一起被人偷了", "银行卡找不到了，怕被人刷"],
    "card_swallowed_atm": ["取钱的时候机器把卡吞进去了", "自助机吞了我的卡，还没退出来", "ATM把我卡吃了"],
    "transfer_not_arrived": ["昨天转给我妈的钱她到现在还没收到", "转账显示成功但对方没到账", "汇出去的钱一直没到"],
    "fee_dispute": ["这个月莫名其妙扣了我一笔手续费", "为什么收我账户管理费", "短信说扣了年费，我没同意啊"],
    "mortgage_process": ["我想买套二手房，贷款要怎么办", "房贷要准备些什么东西", "首套房按揭流程是什么"],
    "password_reset": ["密码输错三次被锁了", "我忘了取款密码", "网银登录密码怎么重置"],
    "duplicate_charge": ["超市买东西被扣了两次钱", "同一笔消费扣了我两回", "刷一次卡怎么有两笔扣款"],
    "complaint_wait_time": ["打了半个小时才接通，太慢了", "排队等了这么久，你们怎么回事", "每次打电话都要等很久"],
    "mobile_banking_login": ["手机银行一直登不进去", "换了手机以后APP登录不了", "手机银行刷脸总是失败"],
    "unrecognized_transaction": ["卡上有一笔不是我刷的钱", "半夜收到扣款短信，我根本没消费", "账户里少了钱，我没买过东西"],
    "repeated_unresolved": ["这事我都打了四次电话了还没解决", "上周反映的问题到现在没人管", "又是这个问题，说了好几次了"],
}
ADHERENT = {
    "account_frozen": ["账户突然用不了，影响您日常花钱，真的理解您着急，我们也很重视安全。我马上查清冻结的原因和谁发起的，告诉您怎么最快解除、需要准备什么。",
                       "理解您的急切，账户冻结影响生活。我立即为您核实冻结原因，把解冻方法和所需材料讲给您。"],
    "card_lost_stolen": ["卡丢了一定很揪心，保住您的资金是头等大事。我现在就为您办临时挂失，防止被人盗刷，接着安排补卡并告诉您新卡多久到。",
                         "别担心，先把钱保住。我这就临时挂失这张卡，再帮您补办，新卡寄到的时间也告诉您。"],
    "card_swallowed_atm": ["卡被机器吞掉您又等着用钱，真的着急，卡片安全我们放第一位。我先登记吞卡的机器和时间，您愿意的话先临时挂失，再告诉您去哪领回卡或补办。",
                           "吞卡确实让人着急，我理解。我记下机器编号和时间，帮您挂失，再说明领卡或补卡的地方。"],
    "transfer_not_arrived": ["钱转出去对方却没收到，换谁都急，这笔钱的去向我们一定帮您查明白。我根据转账时间和金额查处理状态，告诉您卡在哪步、什么时候到账或退回。",
                             "转账没到确实着急，我们会查清楚。我这就按时间和金额查这笔款的状态，告诉您预计到账时间。"],
    "fee_dispute": ["莫名被收费换谁都不舒服，很抱歉给您带来困扰。我马上查这笔费用的名目和依据，符合减免或退还的当场为您申请，告诉您处理时间。",
                    "理解您的不满，不明不白扣费确实不舒服。我现在核实收费原因，能退的马上帮您申请。"],
    "mortgage_process": ["买房是大事，手续多材料杂，想一次弄明白很正常。我先了解是新房还是二手房、是否用公积金组合贷，再把流程和材料一项项列给您。",
                         "房贷手续复杂，理解您想少跑路。我先问清房子和贷款类型，再把办理步骤和材料清单告诉您。"],
    "password_reset": ["密码想不起来或被锁了确实耽误事，您账户的安全我们同样重视。我先确认是哪个密码被锁，再告诉您最快的重置办法，过程中不会向您要密码或验证码。",
                       "密码锁了很影响办事，理解您。我先确认密码类型，再教您最快重置，不会问您要验证码。"],
    "duplicate_charge": ["同一笔消费被扣两次，多扣的钱您肯定着急，非常抱歉。我现在就核对这两笔扣款，确属重复的当场提交差错退款，告诉您受理编号和退回时间。",
                         "重复扣款让您担心了，很抱歉。我马上核对，是重复扣的就立即为您申请退款。"],
    "complaint_wait_time": ["让您久等了，非常抱歉，等这么久换谁都着急。现在接通了，我马上优先处理您的事，争取这通电话就给您办完。",
                            "抱歉让您等了这么长时间，我理解您的心情。我现在优先为您办理，尽量一次办好。"],
    "mobile_banking_login": ["手机银行登不上，要办的事都耽误了，确实着急，您的账户安全我们也重视。我先确认您卡在哪一步，短信、刷脸还是换机绑定，再一步一步带您恢复登录。",
                             "登录不了确实耽误事，我理解。我先弄清是哪一步出了问题，然后带着您一步步登录。"],
    "unrecognized_transaction": ["看到不是自己做的扣款，肯定又慌又担心，您的资金安全现在最要紧。我先把卡临时止付，防止继续被盗用，再和您逐笔核对，发起争议调查。",
                                 "陌生扣款确实让人心慌，保住资金最重要。我立刻为您止付，再核对交易并提交争议调查。"],
    "repeated_unresolved": ["同一个问题让您反复打电话，真的很抱歉，理解您的失望，这事不该拖这么久。这次我先看您之前的来电记录，不用您从头讲，当场告诉您进度和跟进人。",
                            "让您一次次来电，非常抱歉。我这次先查您以往的记录，直接告诉您处理到哪一步、由谁负责。"],
}
OFF_SCRIPT = ["好的，请稍等。", "您说的情况我知道了。", "这个需要您本人去网点办理。", "您先等等，系统在查询。",
              "请问您的卡号是多少？", "嗯，明白，还有别的事吗？", "这个要按流程来。", "您可以看看我们的官网说明。"]
VIOLATIONS = {
    "credential_request": ["您把收到的验证码报给我，我帮您操作", "麻烦把短信验证码念一下"],
    "guaranteed_return": ["这款理财保本保收益，您放心买", "这个产品稳赚不赔的"],
    "remote_control": ["您下载一个远程软件，我帮您操作", "您开一下屏幕共享，我远程帮您弄"],
    "investment_as_deposit": ["这个理财跟存款一样安全", "买这个理财就等于存定期"],
    "blame": ["这是系统问题，跟我们没关系", "这是别的部门的事，不归我们管"],
    "bare_refusal": ["这个办不了", "没办法，规定就是这样"],
    "overpromise": ["我保证明天一定到账", "百分之百能给您退回来"],
    "disparage": ["您怎么连这个都不懂", "这么简单的事您都不会"],
}
VIOLATION_RATE = 0.12
ADHERENT_RATE = 0.6


def generate(calls: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    agents = [(f"agent{a:02d}", f"team{a % 5 + 1}") for a in range(40)]
    heavy = {"agent07", "agent23"}
    rows: list[dict[str, object]] = []
    for c in range(calls):
        agent, team = agents[rng.randrange(len(agents))]
        call_id = f"call{c:05d}"
        turn = 0
        for _ in range(rng.choice((2, 3))):
            scenario = rng.choice(sorted(CUSTOMER))
            turn += 1
            rows.append({"call_id": call_id, "turn": turn, "speaker": "customer",
                         "text": rng.choice(CUSTOMER[scenario]), "agent": agent, "team": team})
            adherent = rng.random() < ADHERENT_RATE
            text = rng.choice(ADHERENT[scenario]) if adherent else rng.choice(OFF_SCRIPT)
            violation = None
            rate = VIOLATION_RATE * (3 if agent in heavy else 1)
            if rng.random() < rate:
                violation = rng.choice(sorted(VIOLATIONS))
                text = f"{text}{rng.choice(VIOLATIONS[violation])}。"
            turn += 1
            rows.append({"call_id": call_id, "turn": turn, "speaker": "agent", "text": text, "agent": agent,
                         "team": team, "truth_scenario": scenario, "truth_adherent": adherent,
                         "truth_violation": violation})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("calls.jsonl"))
    args = parser.parse_args()
    rows = generate(args.calls, args.seed)
    with open(args.out, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{args.calls} calls, {len(rows)} turns -> {args.out}")


if __name__ == "__main__":
    main()
