"""Everything a first lookup would otherwise make, made ahead by ``assist build``.

A lookup after a build must do no training: besides the indexes (and the quick pass's token
table, distilled to embed its index), :meth:`Assistant.load` calibrates abstention per
language on a fresh build (:mod:`assist.lookup.calibrate`, ~20 s on the shipped library) and
:meth:`Assistant.check` trains the compliance semantic signal (:mod:`assist.compliance.semantic`,
~16-30 s) when the user cache lacks it, and the customer pins train the scam signal
(:mod:`assist.lookup.scam_signal`, ~30-60 s). :func:`prepare_lookups` makes all three after the build
through the same functions the lookup calls, so the lookup finds them and only checks them:
the lookup keeps its own check-or-rebuild, and a stale or damaged file is still made again there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assist.compliance.rules import RulePack
from assist.compliance.semantic import TextEncoder, cache_folder
from assist.encoders.base import Encoder
from assist.encoders.registry import get_encoder
from assist.indexing.calibration import read_language_thresholds
from assist.indexing.store import Manifest, read_calibration
from assist.library.loader import Library
from assist.library.out_of_scope import with_out_of_scope
from assist.lookup.assistant import DEFAULT_THRESHOLD, build_command, build_indexes, load_ranker
from assist.lookup.calibrate import language_thresholds
from assist.lookup.cascade import QUICK_MODEL


@dataclass(frozen=True)
class Prepared:
    """One thing a lookup needs, and whether this run made it (False: it was already there)."""

    what: str
    made: bool
    where: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BuildResult:
    """The indexes built (each folder with its manifest) and what was prepared beside them."""

    built: list[tuple[Path, Manifest]]
    prepared: list[Prepared]


def prepare_lookups(
    library: Library, rules: RulePack, model: str | Path | None, folder: Path, *, tune_head: bool = False,
    log: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build the indexes (:func:`build_indexes`), then the per-language calibration of the
    full model's index and the semantic signal of ``rules`` on the quick-pass encoder."""
    built = build_indexes(library, model, folder, tune_head=tune_head, log=log)
    prepared = [calibration(library, get_encoder(model), folder, build_command(library.root, model, folder), log)]
    prepared.append(semantic_signal(rules, get_encoder(QUICK_MODEL), emit=log))
    prepared.append(scam_signal())
    return BuildResult(built, prepared)


def calibration(
    library: Library, encoder: Encoder, folder: Path, build_hint: str, log: Callable[[str], None] | None = None,
) -> Prepared:
    """The per-language thresholds :meth:`Assistant.load` reads from ``folder``: calibrated
    when neither they nor a threshold from ``assist evaluate --calibrate`` fit this build."""
    lib = with_out_of_scope(library)
    ranker = load_ranker(lib, encoder, folder, build_hint, False, log or (lambda message: None))
    manifest = ranker.manifest
    if read_calibration(folder, manifest) is not None or read_language_thresholds(folder, manifest) is not None:
        return Prepared("abstention calibration", False, str(folder))
    language_thresholds(lib, ranker, folder, DEFAULT_THRESHOLD, log)  # nothing to calibrate without out-of-scope
    return Prepared("abstention calibration", read_language_thresholds(folder, manifest) is not None, str(folder))


def semantic_signal(rules: RulePack, encoder: TextEncoder, cache: Path | None = None,
                    emit: Callable[[str], None] | None = None) -> Prepared:
    """The semantic signal :meth:`Assistant.check` builds, trained into the cache folder it
    reads (:func:`assist.compliance.semantic.cache_folder`) unless already there; ``emit`` hears
    of the training or of a wait for another process's."""
    folder = cache if cache is not None else cache_folder() / "semantic"
    before = _files(folder)
    rules.semantic_signal(encoder, cache, emit)
    return Prepared("compliance semantic signal", _files(folder) != before, str(folder))


def scam_signal() -> Prepared:
    """The scam signal the customer pins complete a partial fraud pattern with
    (:func:`assist.lookup.pins.shipped_signal`), trained into the user cache unless already there."""
    from assist.lookup.pins import shipped_signal

    folder = cache_folder() / "scam_signal"
    before = _files(folder)
    shipped_signal()
    return Prepared("scam signal", _files(folder) != before, str(folder))


def _files(folder: Path) -> set[tuple[str, int]]:
    """The cache files in ``folder`` and their inodes: a training writes one (a new file renamed
    into place); reading one sets its modification time (:func:`assist.atomic_write.mark_used`)."""
    try:
        return {(path.name, path.stat().st_ino) for path in folder.glob("*.npz")}
    except OSError:
        return set()
