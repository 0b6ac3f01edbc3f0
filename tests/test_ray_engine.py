"""The Ray engine gives the local engine's figures on the same input (a local Ray, 2 CPUs)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assist.batch.predictions import StagedOutputs
from assist.batch.runner import run_local
from assist.lookup.assistant import Assistant
from assist.text.datafiles import UtteranceReader
from tests.conftest import HashEncoder

ray = pytest.importorskip("ray")

TEXTS = ["我的卡被冻结了，钱取不出来", "账户被限制交易了怎么办", "我的银行卡丢了，快帮我挂失", "钱包被偷了，卡也在里面",
         "办房贷需要准备什么材料", "二手房贷款流程是怎样的", "有人让我把钱转到安全账户",
         "这个问题我打了好几次电话都没解决",
         "今天天气怎么样", "my account has been frozen and I cannot pay", "数字人民币钱包怎么开通", "ETC扣费不对"]
LABELS = ["account_frozen", "account_frozen", "card_lost_stolen", "card_lost_stolen", "mortgage_process",
          "mortgage_process", "fraud_in_progress", "repeated_unresolved", "out_of_scope", "account_frozen",
          "数字人民币", "out_of_scope"]
TAILS = ["", "，谢谢", " please", "！！", "，第{}次", "，单号{}"]


@contextmanager
def start_local_ray() -> Iterator[None]:
    """A local Ray on 2 CPUs; workers import tests.conftest (the pickled test encoder) from here."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}})
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    with start_local_ray():
        yield


def write_input(path: Path, lines: int) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(lines):
            text = TEXTS[i % len(TEXTS)] + TAILS[(i // len(TEXTS)) % len(TAILS)].format(i)
            record = {"call": f"c{i}", "text": text, "scenario": LABELS[i % len(LABELS)]}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.write("{not json\n")


def test_ray_equals_local(local_ray: None, library_dir: Path, tmp_path: Path) -> None:
    from assist.batch.ray_engine import run_ray

    data = tmp_path / "calls.jsonl"
    write_input(data, 5000)
    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), threshold=0.3, log=lambda _: None)
    outputs = StagedOutputs()
    local = run_local(assistant, UtteranceReader(data, id_field="call", on_error="skip"),
                      predictions=tmp_path / "local.jsonl", outputs=outputs)
    distributed = run_ray(assistant, str(data), id_field="call", on_error="skip", actors=2,
                          predictions=tmp_path / "ray.jsonl", outputs=outputs)
    outputs.commit()
    assert distributed.summary == local.summary
    assert distributed.summary["skipped_lines"]["lines"] == [5001]
    assert local.gaps is not None and distributed.gaps == local.gaps
    assert (tmp_path / "ray.jsonl").read_text(encoding="utf-8") == (tmp_path / "local.jsonl").read_text(
        encoding="utf-8")


def test_an_actor_loads_the_drivers_thresholds_per_language(library_dir: Path) -> None:
    from assist.batch.ray_engine import load_from_recipe, recipe_of

    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), log=lambda _: None)
    assistant.thresholds, assistant.margins = {"zh": 0.7}, {"en": 0.05}
    actor = load_from_recipe(recipe_of(assistant))
    assert (actor.threshold, actor.thresholds, actor.margins) == (assistant.threshold, {"zh": 0.7}, {"en": 0.05})
