"""bench/batch_ab.py and bench/pins_many_cpu.py: the ratios they print, and the pins bench's
check that hits_many gives what hits gives."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_median_ratios_pair_repeats_and_stages() -> None:
    ratios = load("batch_ab").median_ratios(
        [{"cpu_s": 10.0, "stages_cpu_s": {"pins": 2.0, "gone": 1.0}},
         {"cpu_s": 8.0, "stages_cpu_s": {"pins": 4.0, "gone": 1.0}},
         {"cpu_s": 10.0, "stages_cpu_s": {"pins": 2.0, "gone": 1.0}}],
        [{"cpu_s": 9.0, "stages_cpu_s": {"pins": 1.0}},
         {"cpu_s": 8.0, "stages_cpu_s": {"pins": 2.0}},
         {"cpu_s": 5.0, "stages_cpu_s": {"pins": 2.0}}],
    )
    assert ratios == {"total": 0.9, "pins": 0.5, "gone": 0.0}


def test_pins_bench_prints_a_ratio_per_repeat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    texts = ["有人让我把钱转到安全账户", "my card was declined", "帮我查一下余额", "someone asked for my passcode"]
    lines = tmp_path / "lines.jsonl"
    lines.write_text("".join(json.dumps({"text": f"{texts[i % 4]} {i}"}) + "\n" for i in range(300)), encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["pins_many_cpu.py", str(lines), "--lines", "20", "--repeats", "2"])
    load("pins_many_cpu").main()
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [p["repeat"] for p in printed] == [0, 1] and all(p["lines"] == 20 for p in printed)
    assert all(p["many_over_one"] > 0 for p in printed)


def test_prefilter_chunks_bench_compares_chunk_sizes_on_the_same_answers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    texts = ["有人让我把钱转到安全账户", "my card was declined", "他要我的验证码", "someone asked for my one-time code"]
    lines = tmp_path / "lines.jsonl"
    lines.write_text("".join(json.dumps({"text": f"{texts[i % 4]} {i}"}) + "\n" for i in range(40)), encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["prefilter_chunks.py", str(lines), "--chunks", "48000", "6000", "--lines", "30"])
    load("prefilter_chunks").main()
    printed = json.loads(capsys.readouterr().out)
    assert printed["lines"] == 30
    first, second = printed["chunks"]
    assert (first["chunk_chars"], second["chunk_chars"]) == (48000, 6000)
    assert first["over_first"] == 1.0 and second["passes"] > first["passes"] >= 2  # one pass per script at least



def test_prefilter_chunks_bench_stops_where_hits_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    from assist.compliance.rules import RulePack

    bench = load("prefilter_chunks")
    original = RulePack.hits_many
    seen: list[int] = []

    def wrong_for_the_second(self: RulePack, texts: Any, *, audience: Any = "agent") -> Any:
        if id(self) not in seen:
            seen.append(id(self))
        found = original(self, texts, audience=audience)
        return [[] for _ in found] if id(self) == seen[-1] and len(seen) > 1 else found

    monkeypatch.setattr(RulePack, "hits_many", wrong_for_the_second)
    with pytest.raises(SystemExit, match="disagree"):
        bench.measure(["公安让我把钱转到安全账户，验证码也要给他"], [48_000, 6_000], 256)


def test_reading_share_bench_prints_one_share_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    texts = ["对方说是警察，让我把存款转去一个安全账户", "the caller wants the code from my text message",
             "卡丢了\n怎么挂失", "I can’t log in to the app"]
    files = []
    for name, count in (("a.jsonl", 300), ("b.jsonl", 7)):
        path = tmp_path / name
        rows = [json.dumps({"text": f"{texts[i % 4]} {i}"}) for i in range(count)] + [json.dumps({"text": "  "}), ""]
        path.write_text("\n".join(rows), encoding="utf-8")
        files.append(str(path))
    monkeypatch.setattr(sys, "argv", ["rules_reading_share.py", *files])
    load("rules_reading_share").main()
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(p["file"], p["lines"]) for p in printed] == [("a.jsonl", 300), ("b.jsonl", 7)]  # blank texts left out
    assert 0 < printed[0]["reading_cpu_s"] < printed[0]["hits_many_cpu_s"]  # the reading is part of hits_many
    assert 0 < printed[0]["reading_share"] < 1
