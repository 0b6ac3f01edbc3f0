"""Two passes per lookup: the static distillation first, the full model only when unsure.

The full multilingual USE (:mod:`assist.encoders.usem.forward`) costs a lookup about
2.5 ms to embed, and a batch 1.3 million floating-point operations per token in
its second convolution alone; its static distillation (:mod:`assist.encoders.usem.static`)
costs about 0.1 ms but ranks a few points worse. Most utterances do not need the difference: when the quick pass
ranks a scenario clearly first, well above the abstention threshold, the full
model almost always agrees. So the default assistant ranks every utterance
with the quick pass and hands only the unsure ones (a low score, or a close
runner-up) to the full model, whose answer then stands, abstention included.

The two settings below were chosen on the dev set and checked on BANKING77
(README, "Two passes"): the two passes together rank as well as the full model
alone, and about three utterances in four never reach it.
"""

from __future__ import annotations

from pathlib import Path

from assist.encoders.base import STATIC_MODEL
from assist.lookup.ranker import Ranked, Ranker

QUICK_MODEL = STATIC_MODEL
QUICK_INDEX_FOLDER = "quick"
"""The quick pass's index lives in this subfolder of the full model's index folder."""
SURE_ABOVE_THRESHOLD = 0.05
"""The quick pass's best score must clear the abstention threshold by this much..."""
SURE_MARGIN = 0.15
"""...and lead the runner-up scenario by this much, or the full model decides."""


def quick_index_dir(folder: Path) -> Path:
    return folder / QUICK_INDEX_FOLDER


def is_sure(best: float, margin: float, threshold: float) -> bool:
    """Whether the quick pass's ranking (before any pin) can stand without the full model."""
    return best >= threshold + SURE_ABOVE_THRESHOLD and margin >= SURE_MARGIN


class Cascade:
    """Two rankers as one: ``quick`` ranks every text, ``full`` re-ranks those it is unsure of.

    Each text gets exactly the ranking of the pass that decided it, marked by
    :attr:`Ranked.quick`; the abstention ``threshold`` is the assistant's, passed per call.
    """

    def __init__(self, quick: Ranker, full: Ranker) -> None:
        self.quick = quick
        self.full = full

    def rank(
        self, normalised: list[str], families: list[str], segment: str | None, channel: str | None,
        top_k: int, threshold: float,
    ) -> list[Ranked]:
        first = self.quick.rank(normalised, families, segment, channel, top_k)
        decided = [Ranked(item.scenarios, quick=True) for item in first]
        unsure = [i for i, item in enumerate(first) if not is_sure(item.best, item.margin, threshold)]
        if unsure:
            second = self.full.rank(
                [normalised[i] for i in unsure], [families[i] for i in unsure], segment, channel, top_k
            )
            for position, item in zip(unsure, second, strict=True):
                decided[position] = item
        return decided
