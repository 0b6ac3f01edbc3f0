"""Variant choice: an explicit channel or segment is a hard filter; zh-Hant customers read
traditional characters (assist.lookup.variants, assist.lookup.rank, through the API)."""

from __future__ import annotations

from collections.abc import Iterator

import opencc
import pytest
from fastapi.testclient import TestClient

from assist.lookup.assistant import Assistant
from assist.lookup.rank import GENERAL, customer_family, variant_fits
from assist.lookup.variants import Variants, in_customer_script
from assist.server.http import create_app
from assist.text.traditional import region_of
from assist.types import Script
from tests.conftest import SCRIPTS_YAML, HashEncoder, write_library

VARIANTS_YAML = SCRIPTS_YAML + """\
  - id: account_frozen.zh.chat
    scenario: account_frozen
    language: zh-Hans
    channel: chat
    empathy: 理解您的着急，
    solution_preview: 请把冻结提示的截图发给我，我马上核查。
    examples:
      - 我的卡被冻结了钱取不出来怎么办
      - 卡被冻结了，钱取不出来
  - id: account_frozen.zh.elderly
    scenario: account_frozen
    language: zh-Hans
    segment: elderly
    empathy: 您的养老钱最要紧，您别着急，
    solution_preview: 我慢慢帮您查冻结的原因。
    examples:
      - 我的卡被冻结了，钱取不出来，我年纪大了
      - 卡被冻结了钱取不出来
"""
S2T = opencc.OpenCC("s2t")


def simplified_only(text: str) -> list[str]:
    """Characters OpenCC would convert from simplified to traditional."""
    return [ch for ch in text if S2T.convert(ch) != ch]


def script(script_id: str, segment: str | None = None, channel: str | None = None) -> Script:
    return Script(script_id, "s", "zh-Hans", ("x",), "e", "p", segment=segment, channel=channel)


def test_an_explicit_segment_or_channel_rules_out_the_others() -> None:
    chat, elderly, base = script("chat", channel="chat"), script("old", segment="elderly"), script("base")
    assert not variant_fits(chat, None, "phone") and variant_fits(base, None, "phone")
    assert not variant_fits(elderly, GENERAL, None) and not variant_fits(elderly, "foreign", None)
    assert variant_fits(elderly, "elderly", None) and variant_fits(elderly, None, None)
    variants = Variants([chat, elderly, base])
    assert variants.choose("s", "卡被冻结", None, "phone") == base
    assert variants.choose("s", "卡被冻结", GENERAL, None) == base
    assert variants.choose("s", "卡被冻结", "elderly", None) == elderly


def test_customer_family_tells_traditional_from_simplified() -> None:
    assert customer_family("我的帳戶被凍結了") == "zh-Hant"
    assert customer_family("我的账户被冻结了") == "zh"
    assert customer_family("my card is blocked") == "en"
    assert region_of("我張卡俾提款機食咗") == "s2hk"
    assert region_of("我的帳戶被凍結了") == "s2twp"


def test_a_zh_hant_customer_reads_the_script_in_traditional_characters() -> None:
    original = Script("a", "s", "zh-Hans", ("x",), "我理解您的着急，账户安全最重要，", "我马上为您核查冻结原因。",
                      steps=("核实身份后查询冻结原因",), escalation="转给后台专员处理")
    for utterance in ("我的帳戶被凍結了", "我個戶口俾人凍結咗"):
        shown = in_customer_script(original, utterance)
        assert shown.language == "zh-Hant"
        for text in (shown.empathy, shown.solution_preview, *shown.steps, shown.escalation or ""):
            assert text and simplified_only(text) == []
    assert in_customer_script(original, "我的账户被冻结了") is original


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    library = write_library(tmp_path_factory.mktemp("variants") / "lib", scripts=VARIANTS_YAML)
    assistant = Assistant.load(library=library, encoder=HashEncoder(), log=lambda _: None)
    with TestClient(create_app(assistant, rate_limit_per_minute=None)) as test_client:
        yield test_client


def suggest(client: TestClient, **body: object) -> dict:  # type: ignore[type-arg]
    response = client.post("/v1/suggest", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


FROZEN = ["我的卡被冻结了钱取不出来怎么办", "卡被冻结了，钱取不出来", "我的卡被冻结了，钱取不出来，我年纪大了"]


@pytest.mark.parametrize("utterance", FROZEN)
def test_phone_never_gets_a_chat_variant_and_a_segment_never_another_segments(
    client: TestClient, utterance: str
) -> None:
    unfiltered = suggest(client, utterance=utterance)
    assert unfiltered["candidates"][0]["scenario"] == "account_frozen"
    phone = suggest(client, utterance=utterance, channel="phone")
    assert all(c["channel"] in (None, "phone") for c in phone["candidates"])
    for segment in ("general", "foreign", "enterprise"):
        body = suggest(client, utterance=utterance, segment=segment)
        assert all(c["segment"] in (None, segment) for c in body["candidates"])
    elderly = suggest(client, utterance=utterance, segment="elderly")
    assert elderly["candidates"][0]["script_id"] == "account_frozen.zh.elderly"


def test_a_missing_segment_variant_falls_back_to_the_base_script_and_says_so(client: TestClient) -> None:
    body = suggest(client, utterance="卡被冻结了钱取不出来", segment="foreign", channel="phone")
    top = body["candidates"][0]
    assert top["script_id"] == "account_frozen.zh"
    assert "no variant for segment foreign and channel phone" in body["why"]
    assert "base script account_frozen.zh" in body["why"]


def test_a_zh_hant_utterance_gets_no_simplified_only_characters(client: TestClient) -> None:
    for utterance in ("我的帳戶被凍結了，錢領不出來", "我個戶口凍結咗，攞唔到錢"):
        body = suggest(client, utterance=utterance)
        assert body["candidates"][0]["scenario"] == "account_frozen"
        assert simplified_only(body["reply"]) == []
        assert all(simplified_only(c["reply"]) == [] for c in body["candidates"] if c["language"].startswith("zh"))


def test_a_pinned_script_shows_its_rule_not_a_score(client: TestClient) -> None:
    body = suggest(client, utterance="有个警察让我把钱转到安全账户")
    assert body["pinned_by"] and body["candidates"][0]["pinned_by"] == body["pinned_by"]
    assert all(c["pinned_by"] is None for c in body["candidates"][1:])
