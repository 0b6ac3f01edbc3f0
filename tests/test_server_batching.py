"""Micro-batching: concurrent lookups reach ``suggest_many`` together, a lone one waits ~2 ms at most."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assist.lookup.assistant import Assistant
from assist.server.batching import MicroBatcher
from assist.server.http import create_app
from tests.conftest import HashEncoder, write_library

FROZEN = "我的卡被冻结了，钱取不出来"


def test_concurrent_items_form_one_batch_and_failures_stay_with_their_item() -> None:
    batches: list[list[int]] = []
    gate = threading.Event()

    def run(items: list[int]) -> list[int | BaseException]:
        batches.append(items)
        gate.wait(5)
        return [ValueError("odd one") if item == 13 else item * 2 for item in items]

    async def main() -> list[Any]:
        batcher: MicroBatcher[int, int] = MicroBatcher(run, max_wait_s=0.002, max_batch=8)
        first = asyncio.ensure_future(batcher.submit(0))  # runs alone while the others queue up
        await asyncio.sleep(0.05)
        rest = [asyncio.ensure_future(batcher.submit(i)) for i in (1, 2, 13, 4)]
        await asyncio.sleep(0.01)
        gate.set()
        results = await asyncio.gather(first, *rest, return_exceptions=True)
        await batcher.close()
        return list(results)

    results = asyncio.run(main())
    assert batches == [[0], [1, 2, 13, 4]], "requests queued behind a running batch go together"
    assert results[:3] == [0, 2, 4] and isinstance(results[3], ValueError) and results[4] == 8


def test_a_lone_request_waits_about_the_bound() -> None:
    def run(items: list[int]) -> list[int | BaseException]:
        return list(items)

    async def main() -> float:
        batcher: MicroBatcher[int, int] = MicroBatcher(run, max_wait_s=0.002)
        await batcher.submit(1)  # warm the thread pool
        started = time.perf_counter()
        for value in range(20):
            await batcher.submit(value)
        await batcher.close()
        return (time.perf_counter() - started) / 20

    assert asyncio.run(main()) < 0.05


class CountingAssistant:
    """The real assistant, counting how many utterances each suggest_many call carried."""

    def __init__(self, real: Assistant) -> None:
        self._real = real
        self.calls: list[int] = []
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def suggest_many(self, utterances: list[str], **options: Any) -> Any:
        with self.lock:
            self.calls.append(len(utterances))
        time.sleep(0.02)  # a lookup's worth of work, so requests pile up behind it
        return self._real.suggest_many(utterances, **options)


@pytest.fixture(scope="module")
def counting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CountingAssistant]:
    library = write_library(tmp_path_factory.mktemp("batching") / "lib")
    yield CountingAssistant(Assistant.load(library=library, encoder=HashEncoder(), log=lambda _: None))


def test_http_lookups_are_batched_and_answers_match_unbatched(counting: CountingAssistant, tmp_path: Path) -> None:
    app = create_app(counting, rate_limit_per_minute=None, state_dir=tmp_path)  # type: ignore[arg-type]
    alone = counting._real.suggest(FROZEN, top_k=2)
    utterances = [FROZEN, "对方让我把钱转到安全账户", FROZEN, "我想开个户"] * 10

    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1") as client:
            return await asyncio.gather(*(client.post("/v1/suggest", json={"utterance": u, "top_k": 2})
                                          for u in utterances))

    responses = asyncio.run(main())
    assert all(r.status_code == 200 for r in responses)
    assert len(counting.calls) < len(utterances) / 2 and max(counting.calls) > 1, counting.calls
    first = responses[0].json()
    assert [c["script_id"] for c in first["candidates"]] == [c.script_id for c in alone.candidates]
    assert first["candidates"][0]["score"] == pytest.approx(alone.candidates[0].score, abs=1e-6)
    mixed = responses[1].json()
    assert mixed["candidates"][0]["scenario"] != first["candidates"][0]["scenario"]


def test_a_full_queue_refuses_at_once_instead_of_making_callers_wait() -> None:
    from assist.errors import UnavailableError

    gate = threading.Event()

    def run(items: list[int]) -> list[int | BaseException]:
        gate.wait(5)
        return list(items)

    async def main() -> list[Any]:
        batcher: MicroBatcher[int, int] = MicroBatcher(run, max_wait_s=0.0, max_batch=1, max_queued=3)
        first = asyncio.ensure_future(batcher.submit(0))  # taken by the running batch
        await asyncio.sleep(0.05)
        queued = [asyncio.ensure_future(batcher.submit(i)) for i in (1, 2, 3)]
        await asyncio.sleep(0)
        with pytest.raises(UnavailableError, match="busy"):
            await batcher.submit(4)
        gate.set()
        results = await asyncio.gather(first, *queued)
        await batcher.close()
        return list(results)

    assert asyncio.run(main()) == [0, 1, 2, 3]


def test_a_queue_that_would_wait_too_long_refuses_even_below_the_count() -> None:
    from assist.errors import UnavailableError

    def run(items: list[int]) -> list[int | BaseException]:
        time.sleep(0.05 * len(items))  # 50 ms per item: slow
        return list(items)

    async def main() -> tuple[int, int]:
        batcher: MicroBatcher[int, int] = MicroBatcher(run, max_wait_s=0.0, max_batch=2, max_queued=1000,
                                                       max_queue_wait_s=0.2)
        await batcher.submit(0)  # learns the time per item
        results = await asyncio.gather(*(batcher.submit(i) for i in range(20)), return_exceptions=True)
        await batcher.close()
        refused = sum(isinstance(r, UnavailableError) for r in results)
        return refused, len(results) - refused

    refused, answered = asyncio.run(main())
    assert refused > 0 and answered >= 2, (refused, answered)
