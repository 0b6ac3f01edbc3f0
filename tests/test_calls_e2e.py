"""End to end on SQLite and PostgreSQL: a transcript replayed into a call, a real browser following it,
feedback choosing a runner-up, propose → review approve → rebuild, and the missed utterance answered.

A tiny library in tmp_path and the tiny hashed encoder: the model is not the point here.
Debian's Chromium through Playwright; screenshots at 1366×768 and 960×768 go to docs/ with
ASSIST_WRITE_SCREENSHOT=1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from calls_db import store_url  # noqa: F401  (fixture)
from conftest import SCRIPTS_YAML, HashEncoder, write_library
from typer.testing import CliRunner

from assist.calls.propose import read_drafts
from assist.calls.store import CallStore
from assist.cli import app as cli_app
from assist.lookup.assistant import Assistant
from tests.conftest import serving

sync_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
DOCS = Path(__file__).resolve().parents[1] / "docs"
TOKEN = "e2e-token-" + "x" * 24
MISSED = "我想问问贷款流程"
FRAUD_ESCALATION = "立即转反欺诈专线团队，同步冻结相关账户"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists() and os.environ.get("CI") != "true",
                                reason="Debian's Chromium is missing (apt-get install -y chromium)")


def library_in(folder: Path) -> Path:
    scripts = SCRIPTS_YAML.replace(
        "我们会协助您冻结账户并报警。\n",
        f"我们会协助您冻结账户并报警。\n    escalation: {FRAUD_ESCALATION}\n")
    library = write_library(folder, scripts=scripts)
    subprocess.run(["git", "init", "-q", str(library)], check=True)
    subprocess.run(["git", "-C", str(library), "add", "."], check=True)
    subprocess.run(["git", "-C", str(library), "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "lib"],
                   check=True)
    return library


def replay(turns: list[dict[str, str]], call: str, path: Path, store: str, assistant: Assistant) -> str:
    import assist.cli.calls as calls_cli

    path.write_text("\n".join(json.dumps(t, ensure_ascii=False) for t in turns) + "\n", encoding="utf-8")
    original = calls_cli.load_assistant
    calls_cli.load_assistant = lambda *args, **kwargs: assistant
    try:
        result = CliRunner().invoke(cli_app, ["replay", str(path), "--call", call], env={"ASSIST_STORE": store})
    finally:
        calls_cli.load_assistant = original
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def inside(page: Any, selector: str) -> None:
    """Assert the element lies inside the viewport.

    A server-sent event can redraw the panel between finding an element and measuring it, which
    leaves a detached node with no box; the element is then found again, up to a few times.
    """
    box = None
    for _ in range(5):
        locator = page.locator(selector).first
        sync_api.expect(locator).to_be_visible()
        box = locator.bounding_box()
        if box is not None:
            break
    size = page.viewport_size
    assert box is not None and size is not None, selector
    assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= size["width"] + 1, (selector, box, size)
    assert box["y"] + box["height"] <= size["height"] + 1, (selector, box, size)


def test_replayed_call_followed_in_a_browser_feeds_the_library(tmp_path: Path, store_url: str) -> None:  # noqa: F811
    from assist.server.http import create_app

    library = library_in(tmp_path / "lib")
    assistant = Assistant.load(library=library, encoder=HashEncoder(), log=lambda _: None)
    before = assistant.suggest(MISSED)
    assert before.top is not None and before.top.scenario != "mortgage_process"
    assert "mortgage_process" in [c.scenario for c in before.candidates]

    app = create_app(assistant, token=TOKEN, rate_limit_per_minute=None, store=store_url)
    expect = sync_api.expect
    requested: list[str] = []
    with serving(app) as base, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        context.add_init_script(f"sessionStorage.setItem('assist.token', {json.dumps(TOKEN)})")
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{base}/?call=e2e-1")
        expect(page.locator("#call-status")).to_contain_text("e2e-1")

        shown = replay([{"speaker": "customer", "text": MISSED, "turn_id": "c1"},
                        {"speaker": "agent", "text": "这是系统问题，我也没办法", "turn_id": "a1"}],
                       "e2e-1", tmp_path / "part1.jsonl", store_url, assistant)
        assert "c1 customer:" in shown
        expect(page.locator("#call-script")).to_have_text(before.top.script_id, use_inner_text=False)
        expect(page.locator("#call-agent .call-finding").first).to_contain_text("这是系统问题")
        runner_ups = page.locator(".call-choose")
        expect(runner_ups.first).to_be_visible()
        scripts = [runner_ups.nth(i).get_attribute("data-script") for i in range(runner_ups.count())]
        position = scripts.index("mortgage_process.zh")
        page.keyboard.press(f"Alt+Shift+{position + 2}")
        expect(page.locator("#call-note")).to_contain_text("已记录反馈")

        replay([{"speaker": "customer", "text": "有人让我把钱转到安全账户", "turn_id": "c2"},
                {"speaker": "customer", "text": "那现在怎么办", "turn_id": "c3"}],
               "e2e-1", tmp_path / "part2.jsonl", store_url, assistant)
        expect(page.locator("#call-banner")).to_be_visible()
        expect(page.locator("#call-banner [data-code=fraud_pinned]")).to_contain_text("诈骗")
        expect(page.locator("#call-script")).to_have_text("fraud_in_progress.zh", use_inner_text=False)
        expect(page.locator("#call-escalation")).to_contain_text("反欺诈")
        page.keyboard.press("Alt+L")  # the console's language toggle redraws the panel
        expect(page.locator("#call-banner [data-code=fraud_pinned]")).to_contain_text("Suspected fraud")
        expect(page.locator("#call-agent .call-label")).to_contain_text("agent")
        page.keyboard.press("Alt+L")
        expect(page.locator("#call-banner [data-code=fraud_pinned]")).to_contain_text("诈骗")
        for width in (1366, 960):
            page.set_viewport_size({"width": width, "height": 768})
            for selector in ("#call-reply", "#call-escalation", "#call-agent .call-finding", "#call-banner"):
                inside(page, selector)
            shot = tmp_path / f"call-{width}.png"
            page.screenshot(path=str(shot))
            if os.environ.get("ASSIST_WRITE_SCREENSHOT") == "1":
                shutil.copyfile(shot, DOCS / f"call-{width}.png")
        browser.close()
    assert requested and not any(TOKEN in url for url in requested)

    store = CallStore(store_url)
    events = store.feedback()
    assert [(e.action, e.script_id) for e, _ in events] == [("runner_up", "mortgage_process.zh")]

    runner = CliRunner()
    drafts_dir = tmp_path / "drafts"
    proposed = runner.invoke(cli_app, ["feedback", "propose", "--out", str(drafts_dir), "--library", str(library)],
                             env={"ASSIST_STORE": store_url})
    assert proposed.exit_code == 0, proposed.output
    drafts = read_drafts(drafts_dir / "drafts.yaml")
    assert [(d.scenario, d.example) for d in drafts] == [("mortgage_process", MISSED)]
    approved = runner.invoke(cli_app, ["review", str(drafts_dir), "--library", str(library), "--approve",
                                       drafts[0].id])
    assert approved.exit_code == 0, approved.output
    after = Assistant.load(library=library, encoder=HashEncoder(), log=lambda _: None)  # stale → rebuilt
    top = after.suggest(MISSED).top
    assert top is not None and top.scenario == "mortgage_process"
