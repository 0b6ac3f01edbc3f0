"""The out-of-scope set joins libraries, ranks as a class, and answers with a redirect
that counts as an abstention (assist.library.out_of_scope, assist.lookup.reply)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assist.compliance.rule_files import load_rule_pack
from assist.errors import LibraryError
from assist.library.loader import SHIPPED_LIBRARY, load_library
from assist.library.out_of_scope import OUT_OF_SCOPE, out_of_scope_files, with_out_of_scope
from assist.lookup.assistant import Assistant
from assist.server.http import create_app
from tests.conftest import SHARED_EVAL, HashEncoder, write_library

WALLET = "花呗额度怎么一下子被降了"
FROZEN = "我的卡被冻结了，钱取不出来"


def test_the_shipped_set_joins_a_library_without_its_own(tmp_path: Path) -> None:
    library = load_library(write_library(tmp_path / "lib", out_of_scope=True))
    joined = with_out_of_scope(library)
    added = [s for s in joined.scripts if s.scenario == OUT_OF_SCOPE]
    assert added and len(joined.scripts) == len(library.scripts) + len(added)
    assert {s.language for s in added} == {"zh-Hans", "zh-Hant", "en"}
    assert joined.content_hash != library.content_hash
    assert with_out_of_scope(joined) is joined
    assert out_of_scope_files(tmp_path / "lib")[0] == SHIPPED_LIBRARY


def test_an_empty_folder_switches_it_off_and_an_own_folder_replaces_it(tmp_path: Path) -> None:
    off = load_library(write_library(tmp_path / "off"))
    assert with_out_of_scope(off) is off
    root = write_library(tmp_path / "own", out_of_scope=True)
    (root / "out_of_scope").mkdir()
    (root / "out_of_scope" / "mine.yaml").write_text(
        "scripts:\n  - id: oos.weather\n    scenario: out_of_scope\n    language: en\n"
        "    empathy: Thanks.\n    solution_preview: I can't help with the weather; anything about your account?\n"
        "    examples: [will it rain tomorrow]\n", encoding="utf-8")
    own = with_out_of_scope(load_library(root))
    assert [s.id for s in own.scripts if s.scenario == OUT_OF_SCOPE] == ["oos.weather"]


def test_an_out_of_scope_file_holds_only_out_of_scope_scripts(tmp_path: Path) -> None:
    root = write_library(tmp_path / "bad", out_of_scope=True)
    (root / "out_of_scope").mkdir()
    (root / "out_of_scope" / "bad.yaml").write_text(
        "scripts:\n  - id: oos.bad\n    scenario: account_frozen\n    language: en\n"
        "    empathy: a\n    solution_preview: b\n    examples: [x]\n", encoding="utf-8")
    with pytest.raises(LibraryError, match="out-of-scope set"):
        with_out_of_scope(load_library(root))
    (root / "scripts" / "oos.yaml").write_text(
        "scripts:\n  - id: x.oos\n    scenario: out_of_scope\n    language: en\n"
        "    empathy: a\n    solution_preview: b\n    examples: [x]\n", encoding="utf-8")
    with pytest.raises(LibraryError, match="reserved"):
        load_library(root)


def test_shipped_redirects_break_no_block_rule() -> None:
    pack = load_rule_pack(SHIPPED_LIBRARY)
    scripts = [s for s in with_out_of_scope(load_library(SHIPPED_LIBRARY)).scripts if s.scenario == OUT_OF_SCOPE]
    assert len(scripts) >= 30
    for script in scripts:
        blocks = [v for v in pack.check(script.reply) if v.severity == "block"]
        assert blocks == [], (script.id, blocks)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    library = write_library(tmp_path_factory.mktemp("oos") / "lib", out_of_scope=True)
    return Assistant.load(library=library, encoder=HashEncoder(), log=lambda _: None)


def test_a_redirect_is_an_abstention_that_says_whose_service_it_is(assistant: Assistant) -> None:
    redirect = assistant.suggest(WALLET)
    assert redirect.abstained and redirect.redirect is not None and redirect.redirect.startswith("out_of_scope.")
    assert "平台" in redirect.reply and "我行卡" in redirect.reply
    assert all(c.scenario != OUT_OF_SCOPE for c in redirect.candidates)
    assert "not the bank's service" in redirect.why
    answered = assistant.suggest(FROZEN)
    assert not answered.abstained and answered.redirect is None
    assert answered.candidates[0].scenario == "account_frozen"


@pytest.fixture
def client(assistant: Assistant) -> Iterator[TestClient]:
    with TestClient(create_app(assistant, rate_limit_per_minute=None)) as test_client:
        yield test_client


def test_the_api_shows_a_redirect_not_a_scenario(client: TestClient) -> None:
    body = client.post("/v1/suggest", json={"utterance": WALLET}).json()
    assert body["abstained"] is True and body["redirect"].startswith("out_of_scope.")
    assert all(c["scenario"] != OUT_OF_SCOPE for c in body["candidates"])
    assert client.post("/v1/suggest", json={"utterance": FROZEN}).json()["redirect"] is None


@pytest.mark.skipif(not (SHARED_EVAL / "utterances_dev.jsonl").is_file(), reason="dev set not beside the checkout")
def test_the_set_copies_no_evaluation_text() -> None:
    """Written fresh: no example is a dev-set text (the measured sets, utterances_v1 included, join
    the set on purpose from ``examples/*.jsonl``: training data now)."""
    examples = {e.strip() for s in with_out_of_scope(load_library(SHIPPED_LIBRARY)).scripts
                if s.scenario == OUT_OF_SCOPE for e in s.examples}
    lines = (SHARED_EVAL / "utterances_dev.jsonl").read_text("utf-8").splitlines()
    texts = {json.loads(line)["text"].strip() for line in lines if line}
    assert texts and not examples & texts


def test_the_cli_card_says_redirect_and_pinned_by(assistant: Assistant) -> None:
    from rich.console import Console

    from assist.cli.render import suggestion_card

    def shown(text: str) -> str:
        console = Console(width=160, record=True)
        for part in suggestion_card(assistant.suggest(text)):
            console.print(part)
        return console.export_text()

    assert "not the bank's service: redirect (out_of_scope." in shown(WALLET)
    pinned = shown("有个警察让我把钱转到安全账户")
    assert "pinned by " in pinned and "score 0." not in pinned


WEATHER = (
    "scripts:\n  - id: oos.weather\n    scenario: out_of_scope\n    language: en\n"
    "    empathy: Thanks.\n    solution_preview: {reply}\n    examples: [will it rain tomorrow]\n"
)


def _own_set(tmp_path: Path, reply: str) -> Path:
    root = write_library(tmp_path / "cached", out_of_scope=True)
    (root / "out_of_scope").mkdir(exist_ok=True)
    (root / "out_of_scope" / "mine.yaml").write_text(WEATHER.format(reply=reply), encoding="utf-8")
    return root


def _redirects(library: object) -> list[str]:
    return [s.solution_preview for s in library.scripts if s.scenario == OUT_OF_SCOPE]  # type: ignore[attr-defined]


def test_a_cached_set_is_served_without_parsing_and_equals_the_parsed_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import assist.library.out_of_scope as module

    library = load_library(SHIPPED_LIBRARY)
    parsed = with_out_of_scope(library, cache=tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1

    def no_parse(*_: object) -> None:
        raise AssertionError("parsed although the cache holds the set")

    monkeypatch.setattr(module, "_add_files", no_parse)
    assert with_out_of_scope(library, cache=tmp_path / "cache") == parsed


def test_a_changed_set_file_is_parsed_again(tmp_path: Path) -> None:
    root = _own_set(tmp_path, "Not the weather, sorry.")
    cache = tmp_path / "cache"
    first = with_out_of_scope(load_library(root), cache=cache)
    assert _redirects(first) == ["Not the weather, sorry."]
    (root / "out_of_scope" / "mine.yaml").write_text(WEATHER.format(reply="Ask the weather office."),
                                                     encoding="utf-8")
    second = with_out_of_scope(load_library(root), cache=cache)
    assert _redirects(second) == ["Ask the weather office."]
    assert second.content_hash != first.content_hash
    assert len(list(cache.glob("*.json"))) == 1  # the stale entry is dropped
    other = _own_set(tmp_path / "elsewhere", "Not the weather, sorry.")
    assert _redirects(with_out_of_scope(load_library(other), cache=cache)) == ["Not the weather, sorry."]
    assert len(list(cache.glob("*.json"))) == 2  # one entry per library


def test_the_cache_keeps_only_its_newest_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import assist.library.out_of_scope as module

    monkeypatch.setattr(module, "CACHE_ENTRIES", 2)
    cache = tmp_path / "cache"
    for name in ("a", "b", "c"):
        with_out_of_scope(load_library(_own_set(tmp_path / name, "Not the weather, sorry.")), cache=cache)
    assert len(list(cache.glob("*.json"))) == 2


def test_a_damaged_cache_entry_is_parsed_again_and_rewritten(tmp_path: Path) -> None:
    root = _own_set(tmp_path, "Not the weather, sorry.")
    cache = tmp_path / "cache"
    library = load_library(root)
    parsed = with_out_of_scope(library, cache=cache)
    (entry,) = cache.glob("*.json")
    intact = entry.read_bytes()
    entry.write_bytes(intact.replace(b"Not the weather", b"Buy our shares"))  # a hand edit, checksum unchanged
    assert with_out_of_scope(library, cache=cache) == parsed
    assert entry.read_bytes() == intact
    entry.write_bytes(intact[: len(intact) // 2])  # a truncated write
    assert with_out_of_scope(library, cache=cache) == parsed
    assert entry.read_bytes() == intact


def test_an_unwritable_cache_costs_only_the_parse(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    library = load_library(_own_set(tmp_path, "Not the weather, sorry."))
    assert _redirects(with_out_of_scope(library, cache=blocked / "cache")) == ["Not the weather, sorry."]
