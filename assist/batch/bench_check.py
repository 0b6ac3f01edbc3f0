"""``assist bench``'s compliance figures: a warm ``assist check`` on drafts of about 200
characters (the semantic signal included, as the command runs it) and the customer pins of a
lookup, p50 and p99 each (issue 19: check p99 <= 5 ms).

The drafts come from the library itself, never from an evaluation set: its scripts' replies
(what an agent says) interleaved with its rule pack's own ``flags:`` and ``passes:`` examples
(what a draft that breaks a rule, or nearly does, says), joined and cut to the length. So
the rules, their scopes and the semantic signal all have work to do.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from assist.compliance.rules import RulePack
from assist.library.loader import Library
from assist.lookup.assistant import Assistant
from assist.lookup.pins import customer_pins

DRAFT_LENGTH = 200
WARM_UP = 50


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
