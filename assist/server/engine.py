"""One worker's engine: the loaded assistant, swapped whole on reload, and the batched lookups.

A reload (SIGHUP, or the authenticated admin call) loads the rebuilt library and
index into a new :class:`AssistApi` on a thread while the old one keeps answering;
the reference is then swapped in one assignment. A request or batch that already
holds the old engine finishes on it, so no request fails or waits for a reload; a
reload that fails (a broken library) keeps the old engine and says why in the log.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio.to_thread

from assist.errors import AssistError, UnavailableError
from assist.lookup.assistant import check_utterance
from assist.server.api import AssistApi, SuggestRequest, SuggestResponse, suggestion_out
from assist.server.metrics import Metrics
from assist.server.sessions import SharedSessions
from assist.types import Suggestion

if TYPE_CHECKING:
    from assist.lookup.assistant import Assistant

log = logging.getLogger("assist.serve")


class EngineHolder:
    """The current :class:`AssistApi` of this worker, and how to load a fresh one."""

    def __init__(self, assistant: Assistant | None = None,
                 loader: Callable[[], Assistant] | None = None, metrics: Metrics | None = None) -> None:
        self._loader = loader
        self._metrics = metrics
        self._api: AssistApi | None = AssistApi(assistant) if assistant is not None else None
        self._reload_lock = threading.Lock()
        self.loaded_at = time.time() if assistant is not None else 0.0
        self.reloads = 0
        if metrics is not None and assistant is not None:
            metrics.engine_loaded.set(self.loaded_at)

    @property
    def ready(self) -> bool:
        return self._api is not None

    @property
    def api(self) -> AssistApi:
        api = self._api
        if api is None:
            raise UnavailableError("the server is still loading its library and index; retry in a few seconds")
        return api

    def load(self) -> bool:
        """Load (or reload) the engine; keep the current one if loading fails. True on success."""
        if self._loader is None:
            return False
        with self._reload_lock:
            started = time.perf_counter()
            try:
                fresh = AssistApi(self._loader())
            except AssistError as error:
                log.error("reload failed, still serving the previous engine: %s", str(error))
                self._count("failed")
                return False
            except Exception as error:
                log.error("reload failed (%s), still serving the previous engine", type(error).__name__)
                self._count("failed")
                return False
            first = self._api is None
            self._api = fresh
            self.loaded_at = time.time()
            if not first:
                self.reloads += 1
            if self._metrics is not None:
                self._metrics.engine_loaded.set(self.loaded_at)
            self._count("loaded" if first else "reloaded")
            log.info("engine %s in %.1f s: library %s, model %s", "loaded" if first else "reloaded",
                     time.perf_counter() - started, fresh.assistant.library.content_hash[:12],
                     fresh.assistant.model_id)
            return True

    def reload_in_background(self) -> None:
        threading.Thread(target=self.load, name="assist-reload", daemon=True).start()

    def _count(self, result: str) -> None:
        if self._metrics is not None:
            self._metrics.reloads.labels(result).inc()


STALE_CHECK_S = 1.0
"""How old the ``stale`` answer of ``/v1/health`` and ``/v1/ready`` may be under ``assist serve``."""


class StaleCheck:
    """Whether the library's files on disk differ from the library served, for health and ready.

    The check stats every library and rule file (about 2 ms); answered on the event loop
    for every probe, it stalled every request of the worker and made a health probe cost
    as much as a lookup. Here it runs on a thread, one at a time per worker (callers that
    arrive meanwhile share its answer), and its answer is kept for ``every_s`` seconds (0:
    a fresh check for every caller that arrives when none is running).
    """

    def __init__(self, holder: EngineHolder, every_s: float = 0.0) -> None:
        self._holder = holder
        self.every_s = max(0.0, every_s)
        self._api: AssistApi | None = None
        self._answer = False
        self._checked_at = 0.0
        self._running: asyncio.Future[bool] | None = None

    async def __call__(self) -> bool:
        api = self._holder.api  # 503 while loading
        if api is self._api and self.every_s and time.monotonic() - self._checked_at < self.every_s:
            return self._answer
        if self._running is None:
            self._running = asyncio.ensure_future(self._check(api))
        return await asyncio.shield(self._running)

    async def _check(self, api: AssistApi) -> bool:
        try:
            answer = await anyio.to_thread.run_sync(api.assistant.library_changed)
        finally:
            self._running = None
        self._api, self._answer, self._checked_at = api, answer, time.monotonic()
        return answer


@dataclass(frozen=True)
class LookupJob:
    request: SuggestRequest
    utterance: str  # checked by check_utterance


class BatchedLookups:
    """Answers a batch of suggest requests on the current engine: one ``suggest_many`` per
    distinct (top_k, segment, channel), then each request's session memory."""

    def __init__(self, holder: EngineHolder, sessions: SharedSessions, metrics: Metrics | None) -> None:
        self.holder = holder
        self.sessions = sessions
        self.metrics = metrics

    @staticmethod
    def job(request: SuggestRequest) -> LookupJob:
        """Checked before queueing, so a bad utterance fails alone (and as it does unbatched)."""
        return LookupJob(request, check_utterance(request.utterance))

    def __call__(self, jobs: Sequence[LookupJob]) -> list[SuggestResponse | BaseException]:
        api = self.holder.api
        assistant = api.assistant
        out: list[SuggestResponse | BaseException] = [UnavailableError("not answered")] * len(jobs)
        groups: dict[tuple[int, str | None, str | None], list[int]] = {}
        for position, job in enumerate(jobs):
            request = job.request
            groups.setdefault((request.top_k, request.segment, request.channel), []).append(position)
        if self.metrics is not None:
            self.metrics.batch_size.observe(len(jobs))
        for (top_k, segment, channel), positions in groups.items():
            texts = [jobs[p].utterance for p in positions]
            try:
                suggestions = assistant.suggest_many(texts, top_k=top_k, segment=segment, channel=channel)
            except Exception as error:
                for position in positions:
                    out[position] = error
                continue
            for position, suggestion in zip(positions, suggestions, strict=True):
                try:
                    out[position] = self._respond(api, jobs[position], suggestion)
                except Exception as error:
                    out[position] = error
        return out

    def _respond(self, api: AssistApi, job: LookupJob, suggestion: Suggestion) -> SuggestResponse:
        assistant, request = api.assistant, job.request
        raised: dict[str, int] = {}
        if request.session_id is not None:
            top = None if suggestion.abstained or suggestion.top is None else suggestion.top.scenario
            _, raised = self.sessions.record(request.session_id, top)
        if self.metrics is not None:
            self.metrics.observe_suggestion(suggestion.abstained, suggestion.pinned_by)
        return suggestion_out(suggestion, assistant.threshold, request.session_id, raised)
