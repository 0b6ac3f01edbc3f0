"""The main agent console in a real browser: Debian's Chromium driven by Playwright.

The app runs under uvicorn on a free loopback port over a tiny library written into
tmp_path and the instant hashed test encoder: the model is not the point here, the page is.
What is asserted: at 1366×768 and at 960×768 (docked beside a CRM) the reply, the
escalation path and the first draft finding lie inside the viewport; findings are sorted
must-fix first and "replace" puts the safer wording in the draft, with undo by button and
by Ctrl+Z; a pinned script says "pinned by" instead of a percentage; an abstention's and a
redirect's tabs show no percentage; every console text follows the zh/en toggle; raw ids
(script, rule, language code, model, library hash) show only inside a <details> view.

Set ASSIST_WRITE_SCREENSHOT=1 to refresh docs/console-1366.png, docs/console-960.png and
docs/console.png (the README's).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import HashEncoder

from tests.conftest import serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DOCS = Path(__file__).resolve().parents[1] / "docs"
SIZES = ((1366, 768), (960, 768))

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is not installed")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists() and os.environ.get("CI") != "true",
                                reason="Debian's Chromium is missing (apt-get install -y chromium)")

SCENARIOS = """\
scenarios:
  - {id: account_frozen, kind: service, zh: 账户或银行卡被冻结, en: account or card frozen}
  - {id: card_lost_stolen, kind: service, zh: 银行卡丢失或被盗, en: card lost or stolen}
  - {id: mortgage_process, kind: service, zh: 房贷办理流程, en: mortgage process}
  - {id: fraud_in_progress, kind: safety, zh: 疑似电信诈骗, en: fraud in progress}
"""

# Long enough to fill the card as the shipped fraud script does: five steps and an escalation.
SCRIPTS = """\
scripts:
  - id: fraud_in_progress.zh
    scenario: fraud_in_progress
    language: zh-Hans
    empathy: 您先别着急，也请先不要转账！听您的描述，对方的做法很像诈骗分子的惯用手法。
    solution_preview: "请您马上挂断对方的电话，我这边协助您保护账户、必要时冻结并报警；\\
      银行和警方都不会让您把钱转到所谓的安全账户，也不会向您要验证码。"
    steps:
      - 先确认：钱有没有转出去、验证码有没有告诉对方、手机上有没有按对方要求装了软件（只问是否，不问验证码是多少）
      - 请客户立即挂断对方电话，关掉屏幕共享，删除对方让安装的软件
      - 已经转账或泄露信息的：马上为相关账户办理紧急止付和冻结，提示客户拨打110报警或到附近派出所报案
      - 还没有转账的：提醒客户通过官方渠道修改登录密码，查看有没有新增的陌生收款人
      - 记下对方电话号码、收款账户和说过的话，按流程报给反欺诈团队
    escalation: 钱已经转出去的，立即转接反欺诈专线，坐席留在线上陪同客户；同时提醒客户报警，保存好转账凭证和聊天记录。
    examples:
      - 有人打电话说我涉嫌洗钱，让我把钱转到安全账户
      - 对方自称警察要我转账配合调查
  - id: account_frozen.zh
    scenario: account_frozen
    language: zh-Hans
    empathy: 账户突然用不了，换了谁都会着急，
    solution_preview: 我这就帮您查一下冻结的原因，再告诉您最快的解冻办法。
    steps: [核实客户身份, 查询冻结原因和冻结机构, 说明解冻需要的材料和时间]
    escalation: 冻结原因查不到或客户急需用钱的，转账户管理岗当天回电。
    examples:
      - 我的卡被冻结了，钱取不出来
      - 账户被限制交易了怎么办
  - id: card_lost_stolen.zh
    scenario: card_lost_stolen
    language: zh-Hans
    empathy: 卡丢了一定很着急，我们先保住您的钱，
    solution_preview: 我马上为您办理临时挂失，再告诉您怎么补卡。
    examples:
      - 我的银行卡丢了，快帮我挂失
      - 钱包被偷了，卡也在里面
  - id: mortgage_process.zh
    scenario: mortgage_process
    language: zh-Hans
    empathy: 买房是大事，想把流程弄清楚很正常，
    solution_preview: 我先帮您列一下房贷要准备的材料，再讲讲审批大概怎么走。
    examples:
      - 办房贷需要准备什么材料
      - 二手房贷款流程是怎样的
"""

OUT_OF_SCOPE = """\
scripts:
  - id: out_of_scope.wallet.zh
    scenario: out_of_scope
    language: zh-Hans
    empathy: 明白，这确实让人着急。
    solution_preview: "这是支付平台自己的服务，额度和费用由平台决定，请在平台里联系它的客服；\\
      如果本行卡上有相关扣款，我可以帮您查这笔交易。"
    examples:
      - 支付平台的借款额度怎么被降了
      - 钱包里的零钱怎么提出来
"""

RULES = """\
rules:
  - id: console.safe_account
    category: fraud_signal
    severity: block
    applies_to: customer
    patterns:
      - literal: 安全账户
    explanation: 银行和警方从不要求转账到安全账户。
    reference: 测试规则
    suggestion: 请勿向任何所谓的安全账户转账。
    pin: fraud_in_progress
    priority: 100
    alert: 疑似电信诈骗（安全账户）：先劝阻转账
  - id: console.blame
    category: blame_shifting
    severity: warn
    applies_to: agent
    patterns:
      - literal: 这是系统问题
    explanation: 把责任推给系统，客户听到的是“与我无关”。
    reference: 测试规则
    suggestion: 给您带来不便非常抱歉，我马上帮您处理
  - id: console.code
    category: credential_request
    severity: block
    applies_to: agent
    patterns:
      - literal: 把验证码报给我
    explanation: 银行任何时候都不会索要验证码。
    reference: 测试规则
    suggestion: 验证码请不要告诉任何人，包括我
"""

FRAUD = "有人打电话说我涉嫌洗钱，让我把钱转到安全账户"
FROZEN = "我的卡被冻结了，钱取不出来"
REDIRECT = "支付平台的借款额度怎么被降了"
UNSURE = "ＸＹＺ７８９ ｑｑｑ"
# The warn comes first in the text, the block second: the list must put the block first.
DRAFT = "这是系统问题，请您把验证码报给我，我马上帮您处理。"
BLAME, CODE = "这是系统问题", "把验证码报给我"
BLAME_FIX, CODE_FIX = "给您带来不便非常抱歉，我马上帮您处理", "验证码请不要告诉任何人，包括我"


def write_console_library(root: Path) -> Path:
    (root / "scripts").mkdir(parents=True)
    (root / "rules").mkdir()
    (root / "out_of_scope").mkdir()
    (root / "scenarios.yaml").write_text(SCENARIOS, encoding="utf-8")
    (root / "scripts" / "main.yaml").write_text(SCRIPTS, encoding="utf-8")
    (root / "out_of_scope" / "wallet.yaml").write_text(OUT_OF_SCOPE, encoding="utf-8")
    (root / "rules" / "rules.yaml").write_text(RULES, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    from assist.lookup.assistant import Assistant
    from assist.server.http import create_app

    library = write_console_library(tmp_path_factory.mktemp("console") / "lib")
    # A fixed threshold: the hashed test encoder is not what the library's calibration is for.
    assistant = Assistant.load(library=library, encoder=HashEncoder(), threshold=0.5, log=lambda _: None)
    with serving(create_app(assistant, rate_limit_per_minute=None)) as base:
        yield base, assistant


@pytest.fixture
def page(served: tuple[str, Any]) -> Iterator[Any]:
    url = served[0]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
        page = context.new_page()
        page.set_default_timeout(15_000)
        # Assertions wait as long as actions: on a loaded CI machine the first draft check of a run
        # once took longer than expect's own 5 s default.
        sync_api.expect.set_options(timeout=15_000)
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(url + "/")
        sync_api.expect(page.locator("#health")).to_contain_text("模型")
        try:
            yield page
        finally:
            sync_api.expect.set_options(timeout=5_000)
        foreign = [u for u in requested if not u.startswith((url, "data:"))]
        assert not foreign, f"the console fetched from other hosts: {foreign}"
        browser.close()


def ask(page: Any, utterance: str) -> None:
    """Type what the customer said, as an agent would, and wait for its suggestion."""
    field = page.locator("#utterance")
    field.fill("")
    field.click()
    field.press_sequentially(utterance, delay=5)


def write_draft(page: Any, text: str) -> None:
    page.keyboard.press("Alt+D")
    page.locator("#draft").fill("")
    page.keyboard.type(text, delay=5)


def inside(page: Any, selector: str) -> None:
    """The whole element lies inside the viewport: seen without scrolling."""
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    assert box is not None and size is not None, selector
    assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= size["width"] + 1, (selector, box, size)
    assert box["y"] + box["height"] <= size["height"] + 1, (selector, box, size)


def visible_text(page: Any) -> str:
    """What the agent can read: the page's rendered text (a closed <details> renders nothing)."""
    return str(page.evaluate("document.body.innerText"))


def raw_ids(page: Any, assistant: Any) -> list[str]:
    """Raw ids that must stay inside a details view."""
    health = page.evaluate("fetch('/v1/health').then(r => r.json())")
    ids = [s.id for s in assistant.library.scripts] + [r.id for r in assistant.rules.rules]
    return [*ids, "zh-Hans", health["model_id"], health["library_hash"][:10]]


def assert_no_raw_ids(page: Any, assistant: Any) -> None:
    text = visible_text(page)
    shown = [raw for raw in raw_ids(page, assistant) if raw in text]
    assert not shown, f"raw ids visible outside a details view: {shown}"


def test_live_call_layout_at_1366_and_960(page: Any, served: tuple[str, Any], tmp_path: Path) -> None:
    expect = sync_api.expect
    ask(page, FRAUD)
    expect(page.locator("#banner")).to_be_visible()
    expect(page.locator("#card .escalation")).to_contain_text("反欺诈专线")
    write_draft(page, DRAFT)
    expect(page.locator("#violations .violation")).to_have_count(2)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
        for selector in ("#banner", "#reply", "#card .escalation", "#card .steps li", "#violations .violation"):
            inside(page, selector)
        if width == 1366:
            inside(page, "#card .steps li:last-child")  # every step, not only the first
        expect(page.locator("#health")).to_be_visible()
        shot = tmp_path / f"console-{width}.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000
        if os.environ.get("ASSIST_WRITE_SCREENSHOT") == "1":
            shutil.copyfile(shot, DOCS / f"console-{width}.png")
            if width == 1366:
                shutil.copyfile(shot, DOCS / "console.png")
    assert_no_raw_ids(page, served[1])


def test_findings_must_fix_first_with_replace_and_undo(page: Any) -> None:
    expect = sync_api.expect
    write_draft(page, DRAFT)
    findings = page.locator("#violations .violation")
    expect(findings).to_have_count(2)
    assert [findings.nth(i).get_attribute("data-severity") for i in range(2)] == ["block", "warn"]
    expect(findings.first).to_contain_text(CODE)
    expect(findings.first).to_contain_text("必须修改")
    draft = page.locator("#draft")

    findings.first.locator(".btn-replace").click()
    expect(draft).to_have_value(DRAFT.replace(CODE, CODE_FIX))
    expect(findings).to_have_count(1)  # checked again: only the blame is left
    expect(findings.first).to_contain_text(BLAME)
    undo = page.locator("#undo-replace")
    expect(undo).to_be_visible()
    undo.click()
    expect(draft).to_have_value(DRAFT)
    expect(findings).to_have_count(2)
    expect(undo).to_be_hidden()

    findings.nth(1).locator(".btn-replace").click()
    expect(draft).to_have_value(DRAFT.replace(BLAME, BLAME_FIX))
    findings.first.locator(".btn-replace").click()  # now the code request, the only one left
    expect(draft).to_have_value(DRAFT.replace(BLAME, BLAME_FIX).replace(CODE, CODE_FIX))
    expect(page.locator("#check-status")).to_contain_text("未发现合规问题")
    page.keyboard.press("Control+z")
    expect(draft).to_have_value(DRAFT.replace(BLAME, BLAME_FIX))
    page.keyboard.press("Control+z")
    expect(draft).to_have_value(DRAFT)
    expect(findings).to_have_count(2)

    # Alt+R replaces the first finding (a must-fix); once the agent types after a replace,
    # Ctrl+Z is the browser's own again.
    page.keyboard.press("Alt+R")
    expect(draft).to_have_value(DRAFT.replace(CODE, CODE_FIX))
    draft.press("End")
    page.keyboard.type("好", delay=5)
    expect(undo).to_be_hidden()


def test_pinned_script_says_pinned_by_and_no_percentage(page: Any, served: tuple[str, Any]) -> None:
    expect = sync_api.expect
    pinned = served[1].suggest(FRAUD)
    assert pinned.pinned_by and pinned.top is not None and pinned.top.scenario == "fraud_in_progress"
    ask(page, FRAUD)
    card = page.locator("#card")
    expect(card).to_have_class(re.compile(r"\bpinned\b"))
    expect(card.locator(".pin-by")).to_have_text("固定：反诈规则")
    expect(card.locator(".confidence")).to_have_count(0)
    expect(card.locator(".meter")).to_have_count(0)
    expect(page.locator("#banner-title")).to_contain_text("疑似诈骗")
    expect(page.locator("#banner-body")).to_contain_text(pinned.alerts[0])  # the rule's own alert
    expect(card.locator(".why")).to_contain_text("客户的话触发了反诈规则（「")  # with the words that fired it
    first_tab = page.locator("#tabs .tab").first
    expect(first_tab).to_contain_text("固定")
    assert "%" not in first_tab.inner_text()
    assert "%" not in card.locator(".card-head").inner_text()
    # The rule id is one click away, in the details view only.
    assert pinned.pinned_by not in visible_text(page)
    card.locator(".card-details summary").click()
    expect(card.locator(".card-details")).to_contain_text(pinned.pinned_by)
    expect(card.locator(".card-details")).to_contain_text("fraud_in_progress.zh")
    expect(card.locator(".card-details")).to_contain_text("zh-Hans")

    page.keyboard.press("Alt+L")
    expect(card.locator(".pin-by")).to_have_text("pinned by the fraud rule")
    expect(page.locator("#banner-title")).to_contain_text("Suspected fraud")
    # The rule's alert is written in Chinese: the English banner leaves it out, not half-translated.
    expect(page.locator("#banner-body")).to_have_text("Follow this script before anything else.")
    expect(card.locator(".why")).to_contain_text("pinned first")
    page.keyboard.press("Alt+L")
    expect(card.locator(".pin-by")).to_have_text("固定：反诈规则")


def test_abstention_and_redirect_tabs_show_no_percentage(page: Any, served: tuple[str, Any], tmp_path: Path) -> None:
    expect = sync_api.expect
    assistant = served[1]
    unsure = assistant.suggest(UNSURE)
    assert unsure.abstained and unsure.redirect is None and unsure.candidates, "the fixture must abstain"
    ask(page, UNSURE)
    tabs = page.locator("#tabs .tab")
    expect(tabs.first).to_contain_text("未能确定")
    expect(tabs).to_have_count(1 + min(3, len(unsure.candidates)))
    expect(page.locator("#card .scenario-name")).to_have_text("未能确定客户的诉求：请先澄清")
    expect(page.locator("#card .why")).to_contain_text("没有足够接近的话术")
    assert "%" not in page.locator("#tabs").inner_text()
    assert "%" not in page.locator("#card").inner_text()
    page.keyboard.press("Alt+2")  # a runner-up under "not sure": no confidence either
    expect(tabs.nth(1)).to_have_attribute("aria-selected", "true")
    expect(page.locator("#card .low-match")).to_contain_text("把握不足")
    expect(page.locator("#card .meter")).to_have_count(0)
    assert "%" not in page.locator("#card").inner_text()

    redirect = assistant.suggest(REDIRECT)
    assert redirect.abstained and redirect.redirect == "out_of_scope.wallet.zh", "the fixture must redirect"
    ask(page, REDIRECT)
    expect(tabs.first).to_contain_text("非本行业务")
    card = page.locator("#card")
    expect(card).to_have_class(re.compile(r"\bredirect\b"))
    expect(card.locator(".scenario-name")).to_have_text("不属于本行业务：请告诉客户由谁处理")
    expect(card.locator("#reply")).to_contain_text("支付平台自己的服务")
    assert "%" not in page.locator("#tabs").inner_text()
    assert "%" not in card.inner_text()
    page.keyboard.press("Alt+L")
    expect(tabs.first).to_contain_text("Not ours")
    expect(card.locator(".why")).to_contain_text("another company's service")
    card.locator(".card-details summary").click()
    expect(card.locator(".card-details")).to_contain_text("out_of_scope.wallet.zh")
    page.screenshot(path=str(tmp_path / "redirect.png"))


def test_every_console_text_follows_the_language_toggle(page: Any, served: tuple[str, Any]) -> None:
    expect = sync_api.expect
    ask(page, FROZEN)
    expect(page.locator("#card .confidence")).to_contain_text("置信度")
    expect(page.locator("#card .why")).to_contain_text("最接近的话术库例句")
    expect(page.locator("#card .card-meta")).to_contain_text("简体中文")
    page.locator("#utterance").press("Enter")
    expect(page.locator("#session-line")).to_contain_text("账户或银行卡被冻结 ×1")
    write_draft(page, DRAFT)
    expect(page.locator("#violations .violation").first).to_contain_text("索要密码或验证码")
    assert_no_raw_ids(page, served[1])

    page.keyboard.press("Alt+L")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#utterance-label")).to_have_text("Customer said")
    expect(page.locator("#card .confidence")).to_contain_text("Confidence")
    expect(page.locator("#card .why")).to_contain_text("Closest library example")
    expect(page.locator("#card .card-meta")).to_contain_text("Simplified Chinese")
    expect(page.locator("#card .section-title").first).to_have_text("Escalation path")
    expect(page.locator("#session-line")).to_contain_text("account or card frozen ×1")
    expect(page.locator("#violations .violation").first).to_contain_text("must fix")
    expect(page.locator("#violations .violation").first).to_contain_text("Asking for credentials")
    expect(page.locator("#violations .btn-replace").first).to_have_text("Replace")
    expect(page.locator("#health")).to_contain_text("model ready")
    # The console's own words are English now; library text quoted 「…」 stays as written, and the
    # language toggle names the other language (中文).
    chrome = page.locator(".brand-name, .control, #new-session, .pane-head, #health, #card .card-head, #card .why, "
                          "#card .section-title, #check-status, #violations .violation-head").all_inner_texts()
    unquoted = re.sub(r"「[^」]*」", "", " ".join(chrome))
    assert not re.search(r"[\u3400-\u9fff]", unquoted), chrome
    assert_no_raw_ids(page, served[1])
    page.locator("#about summary").click()
    expect(page.locator("#about")).to_contain_text(served[1].model_id)
    inside(page, "#about-list")  # the footer's details open upwards, drawn on top, not clipped
    assert page.evaluate("""() => { const list = document.getElementById('about-list');
        const box = list.getBoundingClientRect();
        return list.contains(document.elementFromPoint(box.x + 20, box.y + 10)); }""")

    page.locator("#utterance").press("Escape")
    expect(page.locator("#card")).to_contain_text("Type what the customer said")
    page.keyboard.press("Alt+L")
    expect(page.locator("#utterance-label")).to_have_text("客户说")


def test_copy_and_runner_up_keys(page: Any) -> None:
    expect = sync_api.expect
    ask(page, FRAUD)
    expect(page.locator("#card .pin-by")).to_be_visible()
    page.keyboard.press("Alt+2")
    expect(page.locator("#tabs .tab").nth(1)).to_have_attribute("aria-selected", "true")
    expect(page.locator("#card .pin-by")).to_have_count(0)
    expect(page.locator("#card .card-meta")).to_contain_text("备选 2")
    page.keyboard.press("Alt+1")
    expect(page.locator("#card .pin-by")).to_be_visible()
    page.keyboard.press("Alt+C")
    expect(page.locator("#copy-reply")).to_contain_text("已复制")
    assert "挂断对方的电话" in page.evaluate("navigator.clipboard.readText()")


def test_why_says_when_the_base_script_stands_in_for_a_variant(page: Any, served: tuple[str, Any]) -> None:
    expect = sync_api.expect
    fallback = served[1].suggest(FROZEN, segment="elderly")
    assert fallback.top is not None and fallback.top.segment is None and "has no variant for" in fallback.why
    page.locator("#segment").select_option("elderly")
    ask(page, FROZEN)
    expect(page.locator("#card .why")).to_contain_text("所选客群或渠道没有专用版本，显示的是通用话术")
    page.keyboard.press("Alt+L")
    expect(page.locator("#card .why")).to_contain_text("No variant for the chosen segment or channel")
