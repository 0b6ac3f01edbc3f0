"""The shipped rule pack: negation traps, positives in every script and the dev-set targets.

The sentences below are written for these tests (they are not from the labelled dev
sets): held-out-style wordings, traditional characters, full-width forms, English,
and negation traps that a compliant agent says every day.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assist.compliance.checks import blocking, evaluate_drafts, script_violations
from assist.compliance.rules import RulePack
from assist.errors import InputError
from assist.library.loader import SHIPPED_LIBRARY
from assist.types import Script

SHARED_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"


def categories(pack: RulePack, text: str) -> set[str]:
    return {v.category for v in pack.check(text)}


FLAGGED: list[tuple[str, str]] = [
    ('这款理财您闭着眼睛买都行，到期本息一分不少。', 'promise_guaranteed_return'),
    ('放心吧，这个基金从来没亏过钱，收益妥妥的。', 'promise_guaranteed_return'),
    ('这个产品保本保息，年化3.8%是锁定的。', 'promise_guaranteed_return'),
    ('这只基金稳赚不赔，您现在入手正合适。', 'promise_guaranteed_return'),
    ('您就当它是定期存款，只是利息高一点。', 'promise_guaranteed_return'),
    ('這款理財跟存款差不多，本金很安全。', 'promise_guaranteed_return'),
    ('这个理财比存银行还安全，肯定能拿到4%的收益。', 'promise_guaranteed_return'),
    ('這檔基金保證有6%的收益，不會虧的。', 'promise_guaranteed_return'),
    ('买这个没有任何风险，您放心。', 'promise_guaranteed_return'),
    (
        "This fund is basically risk-free, you'll earn at least 5% a year.",
        'promise_guaranteed_return',
    ),
    ('Your capital is fully protected with this investment plan.', 'promise_guaranteed_return'),
    ("It's just as safe as a fixed deposit but pays more.", 'promise_guaranteed_return'),
    ('The product offers a guaranteed 6% return.', 'promise_guaranteed_return'),
    (
        "This portfolio has never lost money, so there's really no downside.",
        'promise_guaranteed_return',
    ),
    ('您把手机短信里那几个数字念一下，我这边帮您确认。', 'credential_request'),
    ('请告诉我您的取款密码，我帮您核实一下。', 'credential_request'),
    ('麻烦把卡背面的三位安全码报给我。', 'credential_request'),
    ('您的网银登录密码是多少？', 'credential_request'),
    ('刚才发到您手机的动态码，您读给我听一下。', 'credential_request'),
    ('請把簡訊裡的驗證碼告訴我，我幫您處理。', 'credential_request'),
    ('请提供一下您的信用卡卡号和有效期，我帮您办理退款。', 'credential_request'),
    ('您收到的那个码报一下就行。', 'credential_request'),
    ('请把ＯＴＰ发给我，我来帮您完成认证。', 'credential_request'),
    ('我需要您的交易密码来确认身份。', 'credential_request'),
    ('Can you read out the six-digit code we just sent you?', 'credential_request'),
    ("What's your online banking password?", 'credential_request'),
    ('Please tell me your PIN so I can verify you.', 'credential_request'),
    ('I need the three digits on the back of your card.', 'credential_request'),
    ('Could you share the one-time passcode with me?', 'credential_request'),
    ('Please confirm the full card number and expiry date for me.', 'credential_request'),
    ('为了保障资金安全，您先把余额转到我们的监管账户。', 'unsafe_transfer_instruction'),
    ('您下载一个向日葵，我这边远程帮您处理。', 'unsafe_transfer_instruction'),
    ('请打开腾讯会议，把屏幕共享给我看一下。', 'unsafe_transfer_instruction'),
    ('麻烦您把钱汇到我给您的这个账号，核查完会退回。', 'unsafe_transfer_instruction'),
    ('請把資金轉到我們指定的帳戶，等調查結束再轉回。', 'unsafe_transfer_instruction'),
    ('您装个TeamViewer，我帮您看看手机银行的设置。', 'unsafe_transfer_instruction'),
    (
        'Please move your savings into a secure account while we investigate.',
        'unsafe_transfer_instruction',
    ),
    (
        "Could you start a screen share so I can see what you're seeing?",
        'unsafe_transfer_instruction',
    ),
    ("Download TeamViewer and I'll sort out the settings for you.", 'unsafe_transfer_instruction'),
    ('您是他女儿对吧，他卡里现在还剩八千多。', 'privacy_disclosure'),
    ('您母亲那笔定期下个月15号到期。', 'privacy_disclosure'),
    ('您太太昨天在我们网点取了两万块。', 'privacy_disclosure'),
    ('您的卡号是6222 0212 3456 7890 123，请核对。', 'privacy_disclosure'),
    ('客户身份证号码是110101199003071234，对吗？', 'privacy_disclosure'),
    ("Your wife's balance is 12,400 yuan as of this morning.", 'privacy_disclosure'),
    ('Your father withdrew 3,000 yuan from the ATM yesterday.', 'privacy_disclosure'),
    ('His loan payment of 4,500 is due on the 20th.', 'privacy_disclosure'),
    ('今天就不走验证流程了，我直接帮您转。', 'skip_verification'),
    ('您报个名字就可以，不用核对了。', 'skip_verification'),
    ('身份核验这一步我先帮您免了，直接给您改。', 'skip_verification'),
    ('既然您说是本人，那就不用验证了吧。', 'skip_verification'),
    ('验证码收不到没关系，我这边给您跳过。', 'skip_verification'),
    (
        "Don't worry about the security questions, I'll just take your word for it.",
        'skip_verification',
    ),
    ("We can bypass verification this once since it's urgent.", 'skip_verification'),
    ("I'll go ahead without the ID check this time.", 'skip_verification'),
    ('这事您得去问商户，跟我们银行无关。', 'blame_shifting'),
    ('扣款是系统自动的，那是技术部门的问题。', 'blame_shifting'),
    ('这是总行那边的规定，我们网点管不了。', 'bare_refusal blame_shifting'),
    ("That's the merchant's problem, not ours.", 'blame_shifting'),
    ("It's a system issue, nothing to do with me.", 'blame_shifting'),
    ('这个业务我们这里不办。', 'bare_refusal'),
    ('不行，规定就是这样。', 'bare_refusal'),
    ('办不了，您别问了。', 'bare_refusal'),
    ("I'm afraid we can't do that.", 'bare_refusal'),
    ("There's nothing I can do.", 'bare_refusal'),
    ('放心，这笔退款明天一定到账。', 'overpromise'),
    ('您的提额申请我保证能批下来。', 'overpromise'),
    ('新卡三天内肯定寄到，绝对没问题。', 'overpromise'),
    ('I promise the money will be back in your account today.', 'overpromise'),
    ('Your card will definitely arrive tomorrow.', 'overpromise'),
    ('您这笔汇款卡在中转行，要等SWIFT GPI的状态更新。', 'jargon'),
    ('交易已经冲正了，款项会原路退回。', 'jargon'),
    ('您的房贷利率是LPR加30个基点。', 'jargon'),
    ('The payment failed AML screening and is pending EDD.', 'jargon'),
    ('这种提示都写得清清楚楚，您自己不看怪谁？', 'disparaging_customer'),
    ('跟您说了好几遍了，怎么还是记不住？', 'disparaging_customer'),
    ('您是不是没听懂？我都说得很清楚了。', 'disparaging_customer'),
    ('You should have checked the account number before sending it.', 'disparaging_customer'),
    ("As I've told you three times already, the branch is closed.", 'disparaging_customer'),
    ('这个理财产品收益稳定，基本不会亏，您可以放心把养老钱都放进去。', 'promise_guaranteed_return'),
    ('这只基金历史上从来没有跌过，买了就等着收钱吧。', 'promise_guaranteed_return'),
    ('它和存款的区别就是利息更高，其他都一样。', 'promise_guaranteed_return'),
    ('保证您一年下来至少赚5个点。', 'promise_guaranteed_return'),
    ('这个产品是保本的，您不用担心。', 'promise_guaranteed_return'),
    ('您买这个就跟存银行一样，本金是有保障的。', 'promise_guaranteed_return'),
    ("Trust me, you won't lose a penny with this fund.", 'promise_guaranteed_return'),
    (
        "It's a guaranteed income product, so your returns are locked in.",
        'promise_guaranteed_return',
    ),
    ('为了核实身份，请把您的查询密码念一遍。', 'credential_request'),
    ('您把银行发的那条短信里的号码告诉我就行。', 'credential_request'),
    ('麻烦提供一下卡片背面的后三位数字。', 'credential_request'),
    ("Just give me the code you got by SMS and we're done.", 'credential_request'),
    ("For security, please tell me your card's CVV.", 'credential_request'),
    ('您现在马上把钱转到这个安全账户，我们帮您保管。', 'unsafe_transfer_instruction'),
    ('您先用腾讯会议开个屏幕共享，我教您怎么操作。', 'unsafe_transfer_instruction'),
    ('我们技术人员会远程操作您的手机，帮您解除限制。', 'unsafe_transfer_instruction'),
    (
        'Transfer your balance to our protected account for safekeeping.',
        'unsafe_transfer_instruction',
    ),
    ('If you share your screen with me I can fix it faster.', 'unsafe_transfer_instruction'),
    ('您先生名下那张卡上周有一笔五万的转账。', 'privacy_disclosure'),
    ('他账户里现在只剩两百块了。', 'privacy_disclosure'),
    ('您儿子的信用卡这个月账单是三千二。', 'privacy_disclosure'),
    ('Your daughter spent about 800 yuan on her card last week.', 'privacy_disclosure'),
    ('He still owes 20,000 on the car loan.', 'privacy_disclosure'),
    ('您是老客户了，验证就免了，我直接帮您改密码。', 'skip_verification'),
    ('核对身份这步今天先省了，回头再补。', 'skip_verification'),
    ("You sound like the account holder, so we'll skip the ID check.", 'skip_verification'),
    ("No need for the security questions, I can see it's you.", 'skip_verification'),
    ('这是商户那边的问题，您找他们去吧。', 'blame_shifting'),
    ('卡被吞不归我们客服管，您自己找网点。', 'blame_shifting'),
    ("That's not our fault, the other bank is slow.", 'blame_shifting'),
    ('我们没有这种业务。', 'bare_refusal'),
    ('这个改不了。', 'bare_refusal'),
    ("No, that's not possible.", 'bare_refusal'),
    ('我打包票，您这笔贷款一定能批下来。', 'overpromise'),
    ('明天上午十点前肯定到账，您放一百个心。', 'overpromise'),
    ("Don't worry, it'll definitely be approved.", 'overpromise'),
    ('您这笔跨境汇款需要补充UBO信息。', 'jargon'),
    ('这笔交易我们做了圈存处理。', 'jargon'),
    ('Your DTI ratio is too high for this loan.', 'jargon'),
    ('您连自己卡号都记不住吗？', 'disparaging_customer'),
    ('这个问题我已经解释过很多次了。', 'disparaging_customer'),
    ('是您自己把验证码告诉骗子的，银行没有责任。', 'disparaging_customer'),
    ("You clearly didn't read the terms.", 'disparaging_customer'),
    ('您报一下卡号和有效期，我帮您查。', 'credential_request'),
    ('验证码发我一下，我帮您提交。', 'credential_request'),
    ('Please read the numbers from the text message back to me.', 'credential_request'),
    ('Let me have your card number and the expiry date.', 'credential_request'),
    ('您先生这个月还款了八千。', 'privacy_disclosure'),
    ("I can see your mother's pension of 3,200 came in on Monday.", 'privacy_disclosure'),
    ('行行行，不用核对了，我信您。', 'skip_verification'),
    ("Fine, I'll take your word for it and process the payment.", 'skip_verification'),
    ('把钱转进这个核查账户，没问题后原路退回。', 'unsafe_transfer_instruction'),
    (
        "Install the remote support app I'm sending you and I'll take control.",
        'unsafe_transfer_instruction',
    ),
    ('这款产品收益有保障，年化4%妥妥的。', 'promise_guaranteed_return'),
    ("You basically can't lose with this one.", 'promise_guaranteed_return'),
    ('您方便把登录密码告诉我一下吗？我帮您看看。', 'credential_request'),
    ('您把卡翻过来，背面那三个数字念给我。', 'credential_request'),
    ('密码发我微信上就行。', 'credential_request'),
    ("What's the code on your screen?", 'credential_request'),
    ('Read out your card number, expiry and the three digits on the back.', 'credential_request'),
    ('您把钱取出来，交给我们上门的工作人员保管。', 'unsafe_transfer_instruction'),
    ('请您下载我们发的APP，方便我远程指导。', 'unsafe_transfer_instruction'),
    ('您母亲上个月的工资已经到账了，八千五。', 'privacy_disclosure'),
    ('Your husband made a transfer of 5,000 this morning.', 'privacy_disclosure'),
    ('She has about 12,000 in her savings account.', 'privacy_disclosure'),
    ("Sure, your son's balance: it's 2,300.", 'privacy_disclosure'),
    ('这次就不问您安全问题了，直接办。', 'skip_verification'),
    ("I won't bother with the security questions today.", 'skip_verification'),
    ('We can do without the verification this time.', 'skip_verification'),
    ('您问错人了，这是信用卡中心的事。', 'blame_shifting'),
    ('我只是个接电话的，这事我管不了。', 'bare_refusal blame_shifting'),
    ("I'm just the messenger, take it up with the branch.", 'blame_shifting'),
    ('规定就是这样，没有为什么。', 'bare_refusal'),
    ("Sorry, can't help.", 'bare_refusal'),
    ('Those are the rules.', 'bare_refusal'),
    ('您的账户已经转为久悬户了。', 'jargon'),
    ('这都不懂？我刚才不是说了吗。', 'disparaging_customer'),
    ('How could you not know your own PIN?', 'disparaging_customer'),
    ('I already told you that.', 'disparaging_customer'),
    ('放心，这个肯定没问题。', 'overpromise'),
    ('呢隻基金冇風險，唔會蝕㗎。', 'promise_guaranteed_return'),
    ('這個商品保證獲利，您放心。', 'promise_guaranteed_return'),
    ('唔該讀返個驗證碼俾我。', 'credential_request'),
    ('你個密碼係幾多？話我知先。', 'credential_request'),
    ('请把OTP code报给我。', 'credential_request'),
    ('您的PIN是多少？', 'credential_request'),
    ('唔使驗證啦，我直接幫你搞掂。', 'skip_verification'),
    ('你轉晒啲錢去安全戶口先。', 'unsafe_transfer_instruction'),
    ('你聽唔明咩？', 'disparaging_customer'),
    ('呢樣嘢我哋做唔到。', 'bare_refusal'),
    ('唔關我事，你去問分行。', 'blame_shifting'),
    ('您的貸款一定會核准，請放心。', 'overpromise'),
    ('您先生的帳戶餘額是三萬。', 'privacy_disclosure'),
    ('如果您方便，请把验证码报给我。', 'credential_request'),
]

CLEAN: list[str] = [
    '理财产品不保本，收益也不确定，请您根据风险承受能力选择。',
    '我不能跟您说这款产品稳赚不赔，任何投资都有亏损的可能。',
    '市场上没有零风险的理财，业绩比较基准也不是承诺收益。',
    '这款产品不是存款，和定期存款有本质区别。',
    '大额存单属于存款，受存款保险保障，本金是安全的。',
    '您问的这款是保本型的吗？它不是，它是净值型产品。',
    '过去三年虽然没出现过亏损，但不代表以后不会亏。',
    '所谓“保本高收益”的宣传都是骗人的，请不要相信。',
    '我们不承诺保本，也不保证任何收益率。',
    '這款基金不保證收益，可能虧損本金。',
    'This fund is not principal-protected and returns can go down as well as up.',
    "No investment is risk-free, and I can't promise any particular return.",
    'Unlike a savings account, this fund can lose value.',
    'Fixed deposits are covered by deposit insurance up to 500,000 yuan.',
    "Your money is safe now; I've frozen the card.",
    '验证码已经发到您尾号1234的手机上了，请在页面上输入。',
    '请您自己在键盘上输入密码，不用告诉我。',
    '为了安全，请不要把验证码告诉任何人，包括我们的工作人员。',
    '如果有人让您报验证码，那是诈骗，请直接挂断。',
    '取款密码忘了的话，可以带身份证到网点重置。',
    '请报一下您身份证号码的后四位。',
    '您收到验证码了吗？收到后直接在APP里输入就可以。',
    '密码连续输错三次会被锁定，您慢慢想。',
    '凡是让您透露密码的电话都是骗子打来的。',
    '驗證碼請不要透露給任何人，銀行不會向您索取。',
    '我跟您说一下密码的设置规则：六位数字，不能是连续数字。',
    "Please type your PIN on the keypad; don't say it out loud.",
    "I've just texted you a verification code, please enter it in the app.",
    "We'll never ask for your full card number and expiry date over the phone.",
    'Never read your one-time code to anyone, not even to us.',
    'Could you confirm the last four digits of your card?',
    'If anyone asks you for your PIN, hang up and call us.',
    '请不要向任何所谓的安全账户转账，这是诈骗。',
    '银行没有所谓的安全账户，公安也不会让您转账。',
    '请马上关闭屏幕共享，并卸载对方让您装的软件。',
    '您手机上有没有装向日葵之类的远程软件？',
    '我们不会要求您共享屏幕或下载任何远程软件。',
    '您可以把钱转到您本人名下的其他账户。',
    'Never move money to a so-called safe account.',
    'Please stop sharing your screen and uninstall AnyDesk right now.',
    'Have you installed any screen-sharing app at their request?',
    'We will never ask you to download remote access software.',
    '为保护客户隐私，我不能告诉您他的余额。',
    '您爱人可以登录手机银行查看余额，也可以本人来电。',
    '您给他转的那笔钱已经到账了。',
    '卡号我只念后四位，尾号5678。',
    '您的工单号是2024061500012345678，请记一下。',
    "I'm afraid I can't discuss your husband's account; he can call us himself.",
    'Your son can check his balance in the app at any time.',
    'Only the account holder can ask about her transactions.',
    '我理解您着急，但身份验证是不能跳过的。',
    '验证这一步必须做，大概一分钟就好。',
    '没收到验证码的话，也可以改用人脸识别验证。',
    "I'm sorry, I can't skip the security questions, but it only takes a minute.",
    "Verification can't be skipped, but I'll be quick.",
    "I understand you'd like to skip verification; unfortunately it's required.",
    '这不是您的问题，是我们通知不到位，非常抱歉。',
    '确实是我们系统升级导致的延迟，我已经登记，会给您减免手续费。',
    "It's not your fault at all; I'm sorry for the trouble.",
    "This was our system error, and I'll refund the fee today.",
    '电话里暂时办不了，您可以带身份证到任一网点办理。',
    '这个功能目前不支持，不过您可以在网银上申请。',
    "We can't do that over the phone, but you can do it in the app.",
    '审批结果以系统审核为准，我没办法保证一定能批。',
    '一般两小时内到账，具体要看对方银行的处理时间。',
    '我会在今天下班前给您回电，告诉您处理进展。',
    "I can't guarantee approval, but I'll check what's missing.",
    "I'll definitely call you back before 5pm.",
    '您的房贷利率是LPR，也就是贷款市场报价利率，再加0.3个百分点。',
    'We need to refresh your KYC, which means checking that your ID details are up to date.',
    '这笔是T+1到账，也就是下一个工作日到。',
    '这个问题很多客户都会遇到，不怪您。',
    '您别着急，我再给您说一遍。',
    "Don't worry, this screen is confusing for a lot of people.",
    'If it helps, a family member is welcome to join the call.',
    '您关心的是保本的问题，我得跟您说实话：这款不保本。',
    '理财有风险，过往业绩不代表未来，这款产品可能会亏损。',
    '很多客户问是不是稳赚不赔，其实没有这样的产品。',
    '存款保险保障50万以内的存款本息，但理财产品不在保障范围内。',
    '这款属于R3中风险，净值会波动，不承诺收益。',
    "I can't promise you won't lose money; the value can fall.",
    "We don't offer guaranteed returns on any investment product.",
    "There's no such thing as a risk-free fund.",
    '我们的工作人员不会问您要密码，也不会要验证码。',
    '如果对方要您提供卡背面三位数，请立即挂断。',
    '您在APP里输入验证码后，系统会自动完成验证。',
    '请核对短信里的验证码是不是六位数字。',
    "Please don't give your PIN to anyone, including bank staff.",
    "You'll receive a one-time code; enter it on the website to continue.",
    '如果有人让您转到安全账户，一定是诈骗，请马上挂断。',
    '请您不要下载任何陌生人推荐的远程软件。',
    '请问您有没有按对方要求开启屏幕共享？',
    'A real bank employee will never ask you to move your money to a safe account.',
    'Did the caller ask you to install TeamViewer or AnyDesk?',
    '您女儿的账户信息需要她本人来查询。',
    '抱歉，您父亲的余额我们不方便透露给您。',
    '您给他转的两千块已经到对方账户了。',
    "I'm sorry, I can't tell you how much is in your mother's account.",
    'Your husband will need to call us himself to discuss his loan.',
    '不管多着急，身份核验都不能省，请您理解。',
    '为了您的安全，我们不能跳过验证步骤，不过可以换成刷脸验证。',
    "We can't waive the verification, but it'll only take a moment.",
    '这笔延迟是对方银行的处理时间，我帮您联系对方银行催一下。',
    '这个问题在我们这边，我来负责跟进到底。',
    '我们没有这种业务，不过有一款类似的产品可以满足您的需求。',
    '这个电话里改不了，您可以在手机银行自助修改，我把路径发给您。',
    "That's not possible online, but you can do it at any branch.",
    '到账时间一般是两小时，我不能百分之百保证。',
    '我一定尽全力帮您争取，结果以审批为准。',
    "I can't promise it'll arrive today, but I'll chase it.",
    'UBO，也就是公司的最终受益人，需要您补充一下信息。',
    'Your DTI, which means your debt-to-income ratio, is a bit high.',
    '您别着急，记不住卡号很正常，我们换个方式核实。',
    '可能我刚才没解释清楚，我换个说法。',
    "Sorry if I wasn't clear earlier, let me put it another way.",
    '非常理解您的着急，我马上帮您查询这笔转账的状态，一般两个小时内会有结果。',
    '您的卡已经临时挂失了，补卡可以在手机银行申请，也可以到任一网点办理，工本费五元。',
    '给您添麻烦了，重复扣款的问题我已经提交核查，3到5个工作日内退回原卡。',
    '为了保护您的资金安全，请不要点击短信里的陌生链接，也不要向任何人透露验证码。',
    '这款理财是中低风险，业绩比较基准是3.2%，但这不是承诺收益，实际收益可能更低。',
    '提前支取定期会按活期利率计息，您可以考虑部分提前支取，剩下的继续按定期算。',
    '您的信用卡额度暂时不能在电话里调整，您可以在APP里提交提额申请，审核结果会短信通知您。',
    '我这边看到您的贷款还在审批中，还需要补一份收入证明，您可以在APP里上传。',
    '出于安全考虑，我们无法在电话里透露您家人的账户信息，请他本人来电或到网点办理。',
    '我理解您赶时间，核实身份只需要两个问题，核对完马上帮您处理。',
    '真的很抱歉让您等了这么久，我现在就帮您登记，并升级给主管跟进。',
    '这个问题确实是我们的疏忽，滞纳金我们会帮您申请减免。',
    '关于您说的手续费，我先帮您核实一下扣费依据，十分钟内给您回电。',
    '老人家您别急，我们一步一步来，您先找到手机上的红色图标。',
    '您说的情况很像诈骗，请马上挂断对方电话，不要转账，也不要告诉对方任何验证码。',
    '您的账户已经设置了临时止付，对方无法再转走资金，接下来建议您报警。',
    '手机银行登录不了，可能是设备绑定的问题，您可以先尝试解绑旧设备再重新登录。',
    '跨行转账一般实时到账，个别情况要到下一个工作日，我帮您查一下是否被对方银行退回。',
    '外汇额度每人每年五万美元，留学学费可以凭录取通知书和学费单办理，不占用额度。',
    '企业网银的复核需要另一位操作员授权，我这边可以教您怎么设置双人复核。',
    '您好，办理销户需要本人带身份证和银行卡到开户网点，如果卡里还有余额会一并取出。',
    '不好意思，我没太听清楚，麻烦您再说一下是哪一笔交易？',
    '您的房贷利率是按合同约定执行的，调整日在每年1月1日，我可以把具体条款发到您手机上。',
    '請您放心，我們已經幫您的帳戶加上保護，有任何異常交易會第一時間通知您。',
    '提款卡被機器留置的話，請帶身份證件到該分行領回，我們可以先幫您確認卡片位置。',
    '唔好意思，電話入面冇辦法幫您改地址，您可以用手機銀行自己改，或者去分行辦理。',
    (
        "I'm really sorry about the double charge; I've raised a dispute and the money should be "
        'back within 5 working days.'
    ),
    "For your security, please don't share your one-time code with anyone, including us.",
    'I can see the transfer left your account yesterday; let me trace it with the receiving bank.',
    (
        "I understand this is frustrating. I've escalated it to my supervisor, who will call you "
        'back within two hours.'
    ),
    (
        "The fund's past returns don't guarantee future performance, and you could get back less "
        'than you invest.'
    ),
    (
        "I'm afraid I can't discuss your father's account, but he can call us or give you authori"
        'ty at a branch.'
    ),
    'To keep your account safe I just need to ask two quick security questions.',
    (
        'You can raise your daily transfer limit in the app under Settings, or I can do it for yo'
        "u once you're verified."
    ),
    "Your card should arrive in 5 to 7 working days; I'll text you the tracking number.",
    (
        "That sounds like a scam. Please hang up, don't move any money, and I'll put a hold on yo"
        'ur account now.'
    ),
    "It's not your fault at all; these messages look very convincing.",
    "I've noted the system outage on your account and we'll refund any late fee it caused.",
    '我们从来不会让客户把钱转到所谓的安全账户，也不会要求您下载任何软件。',
    '不管对方说什么，都不要报验证码、不要共享屏幕、不要转账。',
    '任何理财都不保本，有人跟您说稳赚不赔都是骗人的。',
    '我不能告诉您他的余额，这是他的隐私。',
    '验证是不能跳过的，这是为了保护您。',
    'Nobody from the bank will ever ask you to read out your PIN.',
    'We never tell customers to move money into a secure account.',
    "I'm not able to skip the security questions, I'm afraid, but they're quick.",
    "This isn't a guaranteed return; the value of the fund can go down.",
    "I can't share your wife's balance with you, but she can check it in the app.",
    '这不是系统问题，是我们操作失误，非常抱歉。',
    '不是办不了，是需要您本人带身份证来一趟。',
    '这个验证码是给您自己用的，不用告诉我。',
    '我们这边不会问您要CVV码。',
    '这款产品不能保证收益，也不是存款。',
    '我无法跳过验证，但可以帮您换一种更快的验证方式。',
    '我不能向您透露您先生的账户信息。',
    '不是我推卸责任，这个确实需要商户先确认退款。',
    '您别担心，不是您操作错了，是页面提示不清楚。',
    '我不能保证今天一定到账，但会帮您加急。',
    '这笔钱会在T+1，也就是明天到账。',
    '账户余额只能告诉持卡人本人。',
    '您的卡号尾号是1234。',
    '我不会跳过任何验证步骤，这是对您负责。',
    '这次就不再核实您的信息了，刚才已经核实过。',
    "I won't ask for your PIN, and nobody from the bank ever will.",
    "Your money will be safe once the card is blocked; I've done that now.",
    "As I said, the branch opens at nine, and I'm happy to book you in.",
    "I can't promise approval, but your application looks complete.",
    "We can't bypass the checks, but the app verification is quicker.",
    '您自己在APP上操作就可以，很简单。',
    '这个需要您自己到网点办理。',
    '一定要保管好您的密码。',
    '请您一定不要把验证码告诉别人。',
    '转账一般实时到账，如遇系统维护可能会延迟。',
    '我们一定会在24小时内给您答复。',
    '您放心，我一定帮您跟进到底。',
    '您的卡片会在3到5个工作日内寄到。',
    '他本人来电时我们可以帮他查询。',
    '您爱人的卡片信息需要她本人核实，我们不能直接告诉您。',
    '账户余额三万二，您核对一下。',
    '您上个月的消费是五千三。',
    '您给您母亲转的五千块已经入账了。',
    'The 500 you sent your daughter has arrived in her account.',
    "You paid your wife's loan instalment of 3,000 yesterday.",
    '您的密码已经重置成功，请妥善保管。',
    '如需修改密码，您可以在APP的安全中心操作。',
    '动态码五分钟内有效，过期可以重新获取。',
    '我已经把验证码发到您手机上了，您在页面上输入就行。',
    '您的额度已经提上去了，现在是五万。',
    '退款已经原路退回，一般一到三个工作日到账。',
    '您好，这边是信用卡中心，请问有什么可以帮您？',
    '我理解您的心情，这件事我们一定负责到底。',
    '抱歉，这个功能目前还不支持，您可以先用网银办理。',
    '这笔交易显示是您本人在商户刷卡消费的，我帮您申请调单核实。',
    "I'll make sure someone calls you back today.",
    'Your new card is on its way and should arrive within a week.',
    'Please keep your PIN safe and never write it down.',
    "I've reset your password; you'll get a text with a temporary one.",
    "I can't change that over the phone, but I can send you the form by email.",
    'Your balance is 3,200 yuan as of this morning.',
    "We've frozen the card, so nobody can use it now.",
    'This deposit earns 2.1% a year and is covered by deposit insurance.',
    '請勿把簡訊驗證碼告訴任何人，包括本行行員。',
    '我哋唔會要你提供密碼或者驗證碼。',
    '投資有風險，呢隻基金唔保本。',
    '唔好意思，呢個要本人去分行辦，你可以預約時間。',
    '我們無法保證核貸結果，審核通過後會通知您。',
    '如果客服让您把验证码报给他，请立即挂断。',
    '把钱转到安全账户是不允许的。',
    '一旦有人让您共享屏幕，马上挂断。',
    'If the caller asks you to read out the code, hang up.',
    '只要有人叫您把钱转到指定账户，就是诈骗。',
]

PINNED: list[tuple[str, str | None]] = [
    ('有个男的说是反诈中心的，让我把余额转到他们的核查账户，我正在操作', 'fraud_in_progress'),
    ('对方说我的医保卡被冒用了，转接了一个警官，警官让我配合资金清查', 'fraud_in_progress'),
    ('客服打电话说我的百万保障要扣费，让我开共享屏幕取消，我现在开着呢', 'fraud_in_progress'),
    ('电话那头的人一直问我要手机上收到的那几个数字，我要不要给', 'fraud_in_progress'),
    ('我已经把验证码告诉对方了，现在怎么办', 'fraud_in_progress'),
    ('网贷平台说我流水不够，让我先刷流水才能放款', 'fraud_in_progress'),
    ('说我贷款审批通过了，但要先交三千块保证金才能下款', 'fraud_in_progress'),
    ('有个投资老师拉我进群，让我往平台里充值，说稳赚', 'fraud_in_progress'),
    ('一个自稱檢察院的人說我涉嫌洗錢，要我保密不能告訴家人', 'fraud_in_progress'),
    ('有人叫我下载一个APP，说可以远程帮我办理退款', 'fraud_in_progress'),
    (
        'Someone claiming to be from the police says my account is involved in money laundering a'
        'nd I need to move my funds',
        'fraud_in_progress',
    ),
    (
        'A man on the phone is asking me for the code that just came to my phone',
        'fraud_in_progress',
    ),
    (
        'The loan company says I have to pay a fee to release the loan. Is that normal?',
        'fraud_in_progress',
    ),
    ('They told me to install AnyDesk so they could process my refund', 'fraud_in_progress'),
    ('I already read the one-time code to the caller, what should I do?', 'fraud_in_progress'),
    ('你们银行会让客户把钱转到安全账户吗？', None),
    ('我收到一条短信说账户异常，让我点链接输入验证码，这是真的吗', None),
    ('验证码一直收不到，是不是系统有问题', None),
    ('我想把定期里的钱转到活期', None),
    ('我的账户被冻结了，说是涉及司法冻结，怎么处理', None),
    ('Does the bank ever ask for my one-time code over the phone?', None),
    ('I got a text asking me to verify my account at a link, is it real?', None),
    ('I want to transfer money to my savings account', None),
    ('贷款提前还款要交违约金吗', None),
    ('我们公司投标要交保证金，今天能到账吗', None),
    ('别核对了，我赶飞机，直接帮我把钱转了', 'skip_verification'),
    ('每次都问一堆问题，这次就免了吧', 'skip_verification'),
    ('我是本人啊，还要验证什么', 'skip_verification'),
    ("Can we skip the identity check? I'm in a rush", 'skip_verification'),
    ("I don't have time for verification, just do it", 'skip_verification'),
    ('验证码收不到怎么办？', None),
    ('手机银行的人脸验证一直失败', None),
    ('I failed the verification in the app, what do I do?', None),
    ('我替我爸问一下，他的养老金到账了没有', 'third_party_inquiry'),
    ('我老婆的卡被锁了，我帮她解一下', 'third_party_inquiry'),
    ('我是他哥哥，他出国了，想查一下他账户里还有多少钱', 'third_party_inquiry'),
    ('帮我女儿看看她信用卡还欠多少', 'third_party_inquiry'),
    (
        "I'm phoning for my elderly mother, can you tell me if her pension has arrived?",
        'third_party_inquiry',
    ),
    ("Can you check my wife's balance for me? She's at work.", 'third_party_inquiry'),
    ('我给我儿子转了五千块，他说还没到账', None),
    ('我要给我妈汇一笔钱，跨行要手续费吗', None),
    ('我父亲去世了，他的存款怎么继承', None),
    ("I want to send money to my daughter's account abroad", None),
    ('帮我查一下我自己的余额', None),
    ('再不给我解决我就去金融监管总局投诉你们', 'complaint_severe'),
    ('我要向媒体曝光你们这种做法', 'complaint_severe'),
    ('你们害我损失了五万块，这笔钱必须赔偿', 'complaint_severe'),
    ("I'm going to report your bank to the regulator", 'complaint_severe'),
    ("I'll be speaking to my lawyer about this", 'complaint_severe'),
    ('你们的APP太难用了，能不能改进一下', None),
    ('排了一个小时队，太慢了', None),
    ('The app is confusing, please improve it', None),
]


def test_the_rules_find_the_written_positives(pack: RulePack) -> None:
    """Recall over every (sentence, category) pair above, and per category: the rules alone
    (the semantic signal is measured in test_semantic.py)."""
    found: dict[str, list[int]] = {}
    misses = []
    for text, expected in FLAGGED:
        got = categories(pack, text)
        for category in expected.split():
            found.setdefault(category, []).append(category in got)
            if category not in got:
                misses.append(f"{category}: {text}")
    pairs = [hit for hits in found.values() for hit in hits]
    assert sum(pairs) / len(pairs) >= 0.95, misses
    for category, hits in found.items():
        assert sum(hits) / len(hits) >= 0.85, (category, misses)


def test_compliant_wording_and_negation_traps_are_rarely_flagged(pack: RulePack) -> None:
    flagged = [(text, [v.rule_id for v in pack.check(text)]) for text in CLEAN]
    flagged = [(text, ids) for text, ids in flagged if ids]
    assert len(flagged) <= 0.03 * len(CLEAN), flagged


@pytest.mark.parametrize(("text", "scenario"), PINNED)
def test_customer_signal_pins_its_scenario_first(
    pack: RulePack, text: str, scenario: str | None
) -> None:
    pins = pack.pins(text)
    assert (pins[0][0].pin if pins else None) == scenario


@pytest.mark.parametrize(
    "text",
    [
        "请勿向任何人透露验证码",
        "我们不会向您索要密码",
        "理财非存款，产品有风险",
        "这款产品不保本",
        "we will never ask for your PIN",
        "never share your code",
        "KYC，也就是核实您的身份信息",
    ],
)
def test_brief_negations(pack: RulePack, text: str) -> None:
    assert pack.check(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "把手机收到的那串数字报给我",
        "麻烦念一下短信里的六位数",
        "read me the code we just texted you",
        "請把您的驗證碼告訴我",
        "请把ＯＴＰ报给我",
        "請提供您的帳戶密碼",
    ],
)
def test_brief_credential_requests(pack: RulePack, text: str) -> None:
    assert categories(pack, text) == {"credential_request"}


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("您好！請把簡訊裡的驗證碼告訴我，謝謝。", "驗證碼告訴我"),
        ("好的，请把ＯＴＰ　发给我就行", "ＯＴＰ　发给我"),
        ("Thanks.  Please read me the code we just texted you.", "read me the code"),
        ("第一行\n麻煩把錢轉到我們指定的安全帳戶", "安全帳戶"),
    ],
)
def test_spans_point_at_the_original_text(pack: RulePack, text: str, matched: str) -> None:
    [violation] = blocking(pack.check(text))
    start, end = violation.span
    assert text[start:end] == violation.matched_text == matched
    assert violation.reference and violation.suggestion and violation.explanation


def test_violations_are_sorted_and_deduplicated(pack: RulePack) -> None:
    text = "您这笔是T+1到账，走的CNAPS。另外请把验证码报给我，我帮您把钱转到安全账户。"
    found = pack.check(text)
    assert [v.span for v in found] == sorted(v.span for v in found)
    assert [v.category for v in found] == [
        "jargon", "jargon", "credential_request", "unsafe_transfer_instruction",
    ]


def test_severities_follow_the_categories(pack: RulePack) -> None:
    block = {
        "promise_guaranteed_return", "credential_request", "unsafe_transfer_instruction",
        "privacy_disclosure", "skip_verification",
    }
    for rule in pack.rules:
        if rule.applies_to != "customer":
            assert (rule.severity == "block") == (rule.category in block), rule.id


def test_every_pin_rule_has_priority_and_alert(pack: RulePack) -> None:
    expected = {
        "fraud_in_progress": 100, "skip_verification": 50, "third_party_inquiry": 50,
        "complaint_severe": 20,
    }
    pinned = [rule for rule in pack.rules if rule.pin]
    assert {rule.pin for rule in pinned} == set(expected)
    for rule in pinned:
        assert rule.priority == expected[str(rule.pin)], rule.id
        assert rule.alert, rule.id


# ----- scripts ------------------------------------------------------------------------


def make_script(**fields: object) -> Script:
    base: dict[str, object] = {
        "id": "t.zh", "scenario": "password_reset", "language": "zh-Hans",
        "examples": ("密码忘了",),
        "empathy": "理解您的着急，",
        "solution_preview": "我马上帮您处理。",
    }
    base.update(fields)
    return Script(**base)  # type: ignore[arg-type]


def test_script_violations_cover_every_spoken_field(pack: RulePack) -> None:
    script = make_script(
        steps=("核实身份", "请客户把短信验证码报给我"),
        escalation="这不关我们的事，让客户自己去找网点",
    )
    found = script_violations(script, pack)
    assert {v.category for v in found} == {"credential_request", "blame_shifting"}
    assert {v.category for v in blocking(found)} == {"credential_request"}


def test_clean_script_has_no_violations(pack: RulePack) -> None:
    script = make_script(steps=("提醒客户切勿向任何人透露验证码", "引导客户在APP内自助重置"))
    assert script_violations(script, pack) == []


def test_shipped_scripts_break_no_block_rule(pack: RulePack) -> None:
    from assist.library.loader import load_library

    for script in load_library(SHIPPED_LIBRARY).scripts:
        assert blocking(script_violations(script, pack)) == [], script.id


# ----- labelled dev sets --------------------------------------------------------------

needs_eval = pytest.mark.skipif(not SHARED_EVAL.is_dir(), reason="shared/eval not present")


@needs_eval
def test_drafts_dev_targets(pack: RulePack) -> None:
    report = evaluate_drafts(pack, SHARED_EVAL / "drafts_dev.jsonl")
    assert report.recall >= 0.95, report.format_table()
    assert report.false_flag_rate <= 0.03, report.format_table()
    assert report.undetected_categories == [], report.format_table()
    assert "violation recall" in report.format_table(details=False)


@needs_eval
def test_every_dev_fraud_utterance_is_pinned(pack: RulePack) -> None:
    lines = (SHARED_EVAL / "utterances_dev.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    fraud = [r["text"] for r in rows if r["scenario"] == "fraud_in_progress"]
    assert fraud
    for text in fraud:
        pins = pack.pins(text)
        assert pins and pins[0][0].pin == "fraud_in_progress", text
    false_fraud = [
        r["text"] for r in rows
        if r["scenario"] != "fraud_in_progress"
        and any(rule.pin == "fraud_in_progress" for rule, _ in pack.pins(r["text"]))
    ]
    assert len(false_fraud) <= 2, false_fraud


def test_bad_jsonl_line_names_file_and_line(pack: RulePack, tmp_path: Path) -> None:
    path = tmp_path / "drafts.jsonl"
    bad = '{"text": "好的", "violations": []}\n\n{"text": "x", "violations": \n'
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(InputError, match=r"drafts\.jsonl:3: not valid JSON"):
        evaluate_drafts(pack, path)
    path.write_text('{"text": "好的", "violations": ["no_such_category"]}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"drafts\.jsonl:1: unknown category"):
        evaluate_drafts(pack, path)
    path.write_text('{"text": "密码发我", "labels": ["credential_request"]}\n', encoding="utf-8")
    missing = r"drafts\.jsonl:1: no 'violations' field \(the line has: labels, text\)"
    with pytest.raises(InputError, match=missing) as raised:
        evaluate_drafts(pack, path)
    assert "密码" not in str(raised.value)


def test_report_counts_misses_and_false_flags(pack: RulePack, tmp_path: Path) -> None:
    path = tmp_path / "drafts.jsonl"
    rows = [
        {"text": "请把验证码报给我。", "violations": ["credential_request"]},
        {"text": "您好，请问还有什么可以帮您？", "violations": ["jargon"]},
        {"text": "这个我们办不了。", "violations": []},
        {"text": "好的，马上为您处理。", "violations": []},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    report = evaluate_drafts(pack, path)
    assert (report.labelled_pairs, report.detected_pairs) == (2, 1)
    assert (report.clean_drafts, report.flagged_clean) == (2, 1)
    assert [m.category for m in report.misses] == ["jargon"]
    assert [(f.category, f.clean) for f in report.false_flags] == [("bare_refusal", True)]
    table = report.format_table()
    assert "credential_request" in table and "miss  L2 jargon" in table


def test_a_drafts_misses_come_in_category_order_whatever_the_hash_seed(pack: RulePack, tmp_path: Path) -> None:
    """Several labels on one line: a frozenset iterates in the hash seed's order, so the report
    (and `assist rules test --json`) sorts them; two runs of one file give the same bytes."""
    path = tmp_path / "drafts.jsonl"
    labels = ["skip_verification", "jargon", "blame_shifting", "overpromise"]
    path.write_text(json.dumps({"text": "好的。", "violations": labels}, ensure_ascii=False), encoding="utf-8")
    assert [m.category for m in evaluate_drafts(pack, path).misses] == sorted(labels)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an investment said to equal a deposit; a real deposit "equal to" something stays clean
        ("这份理财说穿了就等于存了一笔定期。", {"promise_guaranteed_return"}),
        ("钱存定期就等于每月给自己留一笔应急的钱。", set()),
        # an apology before the blame owns nothing; owning the mistake does
        ("不好意思啊，这是清算那边造成的，跟我们没关系。", {"blame_shifting"}),
        ("Sorry about that, it's the other bank's fault.", {"blame_shifting"}),
        ("抱歉，是我们这边的失误，我马上给您改。", set()),
        # the problem handed to another party, or our side said to be fine
        ("Overdraft fees sit with the lending team, ask them.", {"blame_shifting"}),
        ("我们这边一切正常，钱是对方没收。", {"blame_shifting"}),
        # a turn (但, but) offers an alternative only after the refusal it turns from
        ("我都明白，但这件事我们这边确实处理不了。", {"bare_refusal"}),
        ("I hear you, but we're unable to change it.", {"bare_refusal"}),
        ("这个处理不了，但是我可以帮您转到分行。", set()),
        # a problem statement (没带证件) negates nothing that follows
        ("证件没带也行，这回给您通融了。", {"skip_verification"}),
        ("您没带证件的话，麻烦下次带来再办。", set()),
        # the customer's side is no other party; a closing asks nothing to be taken elsewhere
        ("好嘞，您那边还有什么要问的吗？", set()),
        ("分期利率是总行那边定的，这事您得问他们。", {"blame_shifting"}),
    ],
)
def test_concepts_that_carry_to_new_wording(pack: RulePack, text: str, expected: set[str]) -> None:
    assert categories(pack, text) == expected


@pytest.mark.parametrize(
    ("text", "denied"),
    [
        ("这个收益不是肯定能拿到的，要看市场。", True),
        ("It isn't guaranteed you'll get that rate.", True),
        ("这个收益肯定能拿到。", False),
        ("The rate is guaranteed for a year.", False),
    ],
)
def test_a_denied_certainty_keeps_the_signal_from_reading_a_promise(pack: RulePack, text: str, denied: bool) -> None:
    reading = pack._read(text, "agent")
    categories = pack._denied_certainty(reading, (0, len(reading.ctx.norm)))
    assert ({"overpromise", "promise_guaranteed_return"} <= categories) is denied
    assert bool(categories) is denied
