"""``assist bench``'s compliance figures: a warm ``assist check`` on drafts of about 200
characters (the semantic signal included, as the command runs it) and the customer pins of a
lookup, p50 and p99 each (issue 19: check p99 <= 5 ms); and a cold ``assist check`` in a fresh
process, as an agent's desktop tool that shells out pays it on every draft.

The drafts come from the library itself, never from an evaluation set: its scripts' replies
(what an agent says) interleaved with its rule pack's own ``flags:`` and ``passes:`` examples
(what a draft that breaks a rule, or nearly does, says), joined and cut to the length. So
the rules, their scopes and the semantic signal all have work to do.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from assist.compliance.rules import RulePack
from assist.library.loader import Library
from assist.lookup.assistant import Assistant
from assist.lookup.pins import customer_pins

DRAFT_LENGTH = 200
WARM_UP = 50
COLD_DRAFT = "请把验证码念给我"
"""The cold check's draft: a code request, so the rules flag it and the semantic signal is read."""


def drafts_from(library: Library, pack: RulePack, count: int = 200, length: int = DRAFT_LENGTH,
                seed: int = 0) -> list[str]:
    """``count`` drafts of ``length`` characters joined from the library's replies and the
    pack's rule examples (deterministic for a given library, pack and seed)."""
    replies = [script.reply for script in library.active_scripts if script.reply.strip()]
    examples = [text for rule in pack.rules if rule.covers("agent") for text in (*rule.flags, *rule.passes)]
    pool = replies + examples
    if not pool:
        return []
    rng = random.Random(seed)
    drafts = []
    for _ in range(count):
        draft = ""
        while len(draft) < length:
            draft += rng.choice(pool)
        drafts.append(draft[:length])
    return drafts


def percentile(values: Sequence[float], q: float) -> float:
    """The observed value at percentile ``q`` (0-100) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def time_calls(call: Callable[[str], object], texts: Sequence[str]) -> tuple[float, float]:
    """p50 and p99 in ms of ``call`` on each of ``texts`` after the first :data:`WARM_UP`, once
    each: every timed text is new to the process, as a caller's next draft or utterance is (a
    text seen before finds RE2's automata and the encoder's token tables already built).
    Fewer texts than that (``assist bench --lookups 50``) warm up on the first half, so that
    some are always timed."""
    warm_up = min(WARM_UP, len(texts) // 2)
    for text in texts[:warm_up]:
        call(text)
    timings = []
    for text in texts[warm_up:]:
        start = time.perf_counter()
        call(text)
        timings.append((time.perf_counter() - start) * 1000)
    return percentile(timings, 50), percentile(timings, 99)


def check_figures(assistant: Assistant, queries: Sequence[str], runs: int = 2000) -> dict[str, float]:
    """``check_p50_ms`` / ``check_p99_ms`` (``Assistant.check``: the rules in force and the semantic
    signal, as ``assist check``, the console and the server run it) on ``runs`` new drafts from the
    library, and ``pins_p50_ms`` / ``pins_p99_ms``: the customer rule pins of a lookup over
    ``queries`` (each once)."""
    figures: dict[str, float] = {}
    drafts = drafts_from(assistant.library, assistant.rules, count=WARM_UP + runs)
    if drafts:
        p50, p99 = time_calls(assistant.check, drafts)
        figures["check_p50_ms"] = round(p50, 3)
        figures["check_p99_ms"] = round(p99, 3)
    known = {script.scenario for script in assistant.library.active_scripts}
    if queries:
        p50, p99 = time_calls(lambda text: customer_pins(assistant.rules, text, known), queries)
        figures["pins_p50_ms"] = round(p50, 3)
        figures["pins_p99_ms"] = round(p99, 3)
    return figures


def cold_check(runs: int = 5, code: Path | None = None, draft: str = COLD_DRAFT) -> tuple[float, float]:
    """The median wall and CPU time (s) of ``runs`` fresh ``assist check`` processes
    (:func:`check_process`), after one that is not timed: the rule pack and the semantic signal
    are then read from the user cache, as every call after the first reads them."""
    check_process(code, draft)
    timed = [check_process(code, draft) for _ in range(runs)]
    return statistics.median(w for w, _ in timed), statistics.median(c for _, c in timed)


def check_process(code: Path | None = None, draft: str = COLD_DRAFT) -> tuple[float, float]:
    """Wall time and CPU time (user + system of the process itself, from ``wait4``), in s, of one
    ``python -m assist check DRAFT``; ``code``: the folder whose ``assist`` package runs (default:
    the one imported here; the process runs in it, since ``-m`` looks in the working folder first)."""
    code = code if code is not None else Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(code)}
    command = [sys.executable, "-m", "assist", "check", draft]
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=code, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1):  # 1: the draft breaks a block rule, as it should
        raise subprocess.CalledProcessError(child.returncode, command)
    return wall, usage.ru_utime + usage.ru_stime
