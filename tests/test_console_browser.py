"""The agent console in a real browser: Debian's Chromium driven by Playwright.

The app runs under uvicorn on a free loopback port with the real shipped
library and the default model (the first run builds the index, ~10 s).
Set ASSIST_WRITE_SCREENSHOT=1 to refresh docs/console.png for the README.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
README_SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "console.png"
FRAUD = "对方说是公安局的，让我把钱转到安全账户配合调查"
FROZEN = "我的银行卡被冻结了，钱取不出来"
BAD_DRAFT = "您好，请把验证码报给我，我马上帮您处理。"

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)
uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is not installed")
pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Debian's Chromium is missing (apt-get install -y chromium)"),
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    from assist.lookup.assistant import Assistant
    from assist.server.http import create_app

    app = create_app(Assistant.load(log=lambda _: None), rate_limit_per_minute=None)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="console-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start within 30 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(server_url: str) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                             headless=True)
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server_url)
        page = context.new_page()
        page.set_default_timeout(15_000)
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(server_url + "/")
        sync_api.expect(page.locator("#health")).to_contain_text("模型")
        yield page
        foreign = [u for u in requested if not u.startswith((server_url, "data:"))]
        assert not foreign, f"the console fetched from other hosts: {foreign}"
        browser.close()


def type_into(page: Any, selector: str, text: str) -> None:
    field = page.locator(selector)
    field.click()
    field.press_sequentially(text, delay=5)


def test_fraud_utterance_shows_banner_and_draft_is_highlighted(page: Any, tmp_path: Path) -> None:
    expect = sync_api.expect
    type_into(page, "#utterance", FRAUD)
    expect(page.locator("#banner")).to_be_visible()
    expect(page.locator("#banner")).to_contain_text("已固定安全话术")
    expect(page.locator("#banner-title")).to_contain_text("诈骗")
    expect(page.locator("#card .card-meta code")).to_have_text("fraud_in_progress.zh")
    expect(page.locator("#card .scenario-name")).to_contain_text("诈骗")
    expect(page.locator("#card")).to_contain_text("挂断电话")

    page.keyboard.press("Alt+2")
    expect(page.locator("#tabs .tab").nth(1)).to_have_attribute("aria-selected", "true")
    expect(page.locator("#card .card-meta code")).not_to_have_text("fraud_in_progress.zh")
    page.keyboard.press("Alt+1")
    expect(page.locator("#card .card-meta code")).to_have_text("fraud_in_progress.zh")

    page.keyboard.press("Alt+C")
    expect(page.locator("#copy-reply")).to_contain_text("已复制")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "挂断电话" in copied

    page.locator("#utterance").press("Enter")
    expect(page.locator("#session-line")).to_contain_text("×1")

    page.keyboard.press("Alt+D")
    page.keyboard.type(BAD_DRAFT, delay=5)
    mark = page.locator("#draft-backdrop mark.block")
    expect(mark).to_have_count(1)
    assert mark.inner_text() in BAD_DRAFT and "验证码" in mark.inner_text()
    expect(page.locator("#violations .violation")).to_contain_text("索要密码或验证码")
    expect(page.locator("#violations .violation")).to_contain_text("不要告诉任何人")
    expect(page.locator("#check-status")).to_contain_text("必须修改")
    assert_mark_over_text(page)

    shot = tmp_path / "console.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("ASSIST_WRITE_SCREENSHOT") == "1":
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, README_SCREENSHOT)


def assert_mark_over_text(page: Any) -> None:
    """The highlight layer lines up with the textarea: the mark starts where the text does."""
    box = page.locator("#draft-backdrop mark.block").bounding_box()
    area = page.locator("#draft").bounding_box()
    assert box is not None and area is not None
    assert area["x"] < box["x"] < area["x"] + area["width"]
    assert area["y"] < box["y"] < area["y"] + 60


def test_third_unresolved_contact_shows_escalation(page: Any, tmp_path: Path) -> None:
    expect = sync_api.expect
    page.keyboard.press("Alt+N")
    expect(page.locator("#session-line")).to_contain_text("尚未记入")
    for count in (1, 2, 3):
        page.locator("#utterance").fill(FROZEN)
        page.locator("#utterance").press("Enter")
        expect(page.locator("#session-line")).to_contain_text(f"×{count}")
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#notice-title")).to_contain_text("第 3 次")
    expect(page.locator("#notice-body")).not_to_be_empty()
    expect(page.locator("#card")).to_contain_text("升级路径")
    page.screenshot(path=str(tmp_path / "escalation.png"))


def test_english_toggle_and_clear(page: Any) -> None:
    expect = sync_api.expect
    page.keyboard.press("Alt+L")
    expect(page.locator("#utterance-label")).to_have_text("Customer said")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    type_into(page, "#utterance", FROZEN)
    expect(page.locator("#card .confidence")).to_contain_text("Confidence")
    page.locator("#utterance").press("Escape")
    expect(page.locator("#card")).to_contain_text("Type what the customer said")
    page.keyboard.press("Alt+L")
    expect(page.locator("#utterance-label")).to_have_text("客户说")
