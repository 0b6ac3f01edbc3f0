"""Per-language abstention thresholds, stored sealed in the index folder.

:mod:`assist.lookup.calibrate` chooses one threshold per language family by
cross-validation on the library's own examples and its out-of-scope set; this module
keeps them in ``language_thresholds.json`` beside the index, sealed with a checksum
and tied to the index's build (library hash and model) and to the calibration's method. A lookup trusts the
file only when the seal, the build and every value's range check out; anything else
reads as missing, and the loader computes it again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from assist.atomic_write import write_json_atomic
from assist.indexing.store import Manifest

FILE = "language_thresholds.json"
FAMILIES = ("zh", "en")
LOW, HIGH = 0.05, 0.95
"""The range a calibrated threshold may take; outside it the calibration is not trusted."""
MAX_MARGIN = 0.3
"""Largest redirect margin: how far under the best scenario the out-of-scope class may score and still redirect."""
MIN_MARGIN = -0.3
"""Smallest redirect margin: a negative margin asks the out-of-scope class to lead the best scenario by that much."""


def margin_in_range(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and MIN_MARGIN <= float(value) <= MAX_MARGIN


def in_range(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and LOW <= float(value) <= HIGH


def checksum(payload: dict[str, Any]) -> str:
    """SHA-256 of the payload's canonical JSON (sorted keys, no spaces)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


METHOD = 4
"""How :mod:`assist.lookup.calibrate` chooses the values; raised whenever that changes (2: each
joined examples file one fold, margins below zero allowed; 3: the F1 weighed to a tenth out of
scope, :data:`assist.lookup.calibrate.OUT_OF_SCOPE_SHARE`; 4: the head's out-of-scope vote cut to
:data:`assist.indexing.head.OUT_OF_SCOPE_VOTE`, so the scores calibrated on moved). A file of another
method reads as missing and is calibrated again, instead of serving values the current code would not choose."""


def _build_of(manifest: Manifest) -> dict[str, str | int]:
    return {"library_hash": manifest.library_hash, "model_id": manifest.model_id, "method": METHOD}


def read_language_thresholds(
    folder: Path, manifest: Manifest
) -> tuple[dict[str, float], dict[str, float]] | None:
    """(thresholds, redirect margins) calibrated for this exact build, or None when the file
    is missing, damaged (checksum), of another build, or holds a value out of range."""
    path = folder / FILE
    if not path.is_file():
        return None
    try:
        sealed = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(sealed, dict) or not isinstance(sealed.get("payload"), dict):
        return None
    data = sealed["payload"]
    if sealed.get("sha256") != checksum(data) or data.get("build") != _build_of(manifest):
        return None
    thresholds, margins = data.get("thresholds"), data.get("margins")
    if not isinstance(thresholds, dict) or not isinstance(margins, dict):
        return None
    if any(family not in FAMILIES or not in_range(value) for family, value in thresholds.items()):
        return None
    if any(family not in FAMILIES or not margin_in_range(value) for family, value in margins.items()):
        return None
    return ({f: float(v) for f, v in thresholds.items()}, {f: float(v) for f, v in margins.items()})


def write_language_thresholds(
    folder: Path, manifest: Manifest, thresholds: dict[str, float], margins: dict[str, float],
    details: dict[str, Any],
) -> None:
    """Seal ``thresholds`` and ``margins`` (each in range) for this build into the index folder."""
    bad = {f: v for f, v in thresholds.items() if f not in FAMILIES or not in_range(v)}
    bad |= {f"margin {f}": v for f, v in margins.items() if f not in FAMILIES or not margin_in_range(v)}
    if bad:
        raise ValueError(f"thresholds out of range [{LOW}, {HIGH}] (margins [{MIN_MARGIN}, {MAX_MARGIN}]) "
                         f"or of unknown family: {bad}")
    payload = {"build": _build_of(manifest), "thresholds": thresholds, "margins": margins, **details}
    write_json_atomic(folder / FILE, {"payload": payload, "sha256": checksum(payload)})
