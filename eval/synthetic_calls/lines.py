"""Write N distinct evaluation lines made from the dev utterances with varied tails.

    python eval/synthetic_calls/lines.py 20000 /tmp/lines_20k.jsonl [DEV_UTTERANCES]

Line i is dev utterance ``i % 270`` plus a tail of the kind transcripts carry: nothing,
"，谢谢", " please", "！！", or a number ("，第17次", " 17号", "，谢谢17"); every line is
distinct. Labels are the dev labels. For benchmarks only: nothing here goes into a library.
DEV_UTTERANCES defaults to ``shared/eval/utterances_dev.jsonl`` beside the checkout; name it when
the checkout is elsewhere (a worktree, a clone under /tmp).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DEV = Path(__file__).resolve().parents[3] / "shared" / "eval" / "utterances_dev.jsonl"
PLAIN = ("", "，谢谢", " please", "！！")
NUMBERED = ("，第{}次", " {}号", "，谢谢{}")


def main() -> None:
    count, out = int(sys.argv[1]), Path(sys.argv[2])
    source = Path(sys.argv[3]) if len(sys.argv) > 3 else DEV
    dev = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    with open(out, "w", encoding="utf-8") as handle:
        for i in range(count):
            base = dev[i % len(dev)]
            j = i // len(dev)
            tail = PLAIN[j] if j < len(PLAIN) else NUMBERED[j % len(NUMBERED)].format(j)
            record = {"id": f"u{i}", "text": base["text"] + tail, "scenario": base["scenario"]}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
