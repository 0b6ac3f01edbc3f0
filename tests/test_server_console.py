"""The console tells the truth about its state, in a real browser (Debian's Chromium, Playwright).

A failed draft check shows 「未检查」 in red on the draft box (never an old verdict or a
green tick); a lost connection shows in the footer; a refused token says so. The server
is a token-protected app over the small fixture library and the instant test encoder;
failures are made by the browser dropping requests, as a dead network would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import HashEncoder, serving, write_library

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TOKEN = "console-token-0123456789"

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
uvicorn = pytest.importorskip("uvicorn")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is missing")


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from assist.lookup.assistant import Assistant
    from assist.server.http import create_app

    library = write_library(tmp_path_factory.mktemp("console") / "lib")
    assistant = Assistant.load(library=library, encoder=HashEncoder(), log=lambda _: None)
    with serving(create_app(assistant, token=TOKEN, rate_limit_per_minute=None)) as base:
        yield base


@pytest.fixture
def page(server_url: str) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(locale="zh-CN")
        page.set_default_timeout(10_000)
        page.goto(server_url + "/")
        yield page
        browser.close()


def give_token(page: Any, token: str) -> None:
    field = page.locator("#token-input")
    field.fill(token)
    field.press("Enter")


def test_a_wrong_token_says_so_and_the_right_one_connects(page: Any) -> None:
    expect = sync_api.expect
    expect(page.locator("#token-bar")).to_be_visible()
    expect(page.locator("#token-bar label")).to_contain_text("需要访问令牌")
    give_token(page, "not-the-token")
    expect(page.locator("#token-bar label")).to_contain_text("访问令牌错误")
    expect(page.locator("#health")).to_have_text("访问令牌错误")
    expect(page.locator("#health")).to_have_class("health down")
    give_token(page, TOKEN)
    expect(page.locator("#health")).to_contain_text("模型")
    expect(page.locator("#token-bar")).to_be_hidden()


def test_a_failed_draft_check_shows_unchecked_in_red(page: Any) -> None:
    expect = sync_api.expect
    give_token(page, TOKEN)
    expect(page.locator("#health")).to_contain_text("模型")
    page.route("**/v1/check", lambda route: route.abort())
    page.locator("#draft").fill("这是系统问题，我们也没办法")
    page.locator("#draft").press("End")
    page.locator("#draft").type("。")
    status = page.locator("#check-status")
    expect(status).to_contain_text("未检查")
    expect(status).to_have_class("check-status bad unchecked")
    assert page.eval_on_selector("#check-status", "e => getComputedStyle(e).color") == page.eval_on_selector(
        "body", "() => { const p = document.createElement('p'); p.className = 'check-status bad';"
                " document.body.append(p); const c = getComputedStyle(p).color; p.remove(); return c; }")
    expect(page.locator(".draft-wrap")).to_have_class("draft-wrap unchecked")
    assert page.locator("#violations li.violation").count() == 0
    page.unroute("**/v1/check")
    page.locator("#draft").type("好")
    expect(status).not_to_contain_text("未检查")
    expect(page.locator(".draft-wrap")).to_have_class("draft-wrap")


def test_a_lost_connection_shows_in_the_footer_until_it_is_back(page: Any) -> None:
    expect = sync_api.expect
    give_token(page, TOKEN)
    expect(page.locator("#health")).to_contain_text("模型")
    page.route("**/v1/**", lambda route: route.abort())
    page.locator("#utterance").fill("我的卡被冻结了")
    page.locator("#utterance").type("。")
    expect(page.locator("#health")).to_have_text("无法连接服务")
    expect(page.locator("#health")).to_have_class("health down")
    page.unroute("**/v1/**")
    page.locator("#utterance").type("钱取不出来")
    expect(page.locator("#health")).to_contain_text("模型")
