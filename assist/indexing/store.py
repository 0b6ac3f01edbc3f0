"""Build, save and load the retrieval index with a checksummed manifest.

Layout of an index folder::

    index/
      manifest.json          # names the current build, with checksums (sealed, replaced atomically)
      calibration.json       # optional: threshold chosen by `assist evaluate --calibrate` (sealed)
      validated.json         # the validated library (assist.compliance.validated, sealed)
      .build.lock            # held by a build for its whole length (assist.folder_lock)
      build-<id>/dense.faiss  lexical.npz  lexical_vocab.json  head.npz

A build holds the build lock, writes a fresh ``build-<id>`` folder, fsyncs it,
then swaps ``manifest.json`` with ``os.replace``. A build killed half-way leaves
the previous manifest, and so the previous build, in place and loadable.

What a load checks (docs/integrity.md): the manifest's own checksum; that its
``files`` map lists exactly the files of its build folder, the core files
included; every file's SHA-256; that the index holds as many vectors and
documents as the manifest says; and that the manifest's rows (count of scripts
and examples, and a hash of every (script id, example) row) are the library's.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from assist.atomic_write import SealError, read_sealed_json, write_sealed_json
from assist.encoders.base import Encoder
from assist.encoders.threads import cpu_threads
from assist.errors import IndexStateError
from assist.folder_lock import folder_lock
from assist.indexing.head import ScenarioHead
from assist.indexing.head_blend import build_head
from assist.indexing.lexical import LexicalIndex
from assist.library.loader import INDEX_DIR_ENV, Library

FORMAT_VERSION = 3
"""2: the head stores its blend weight, lexical share and retrieval aggregation.
3: the manifest is sealed and records a hash of the rows it was built from."""
CORE_FILES = ("dense.faiss", "lexical.npz", "lexical_vocab.json")
"""Files every build has; a manifest whose ``files`` lacks one is refused."""
APPROXIMATE_ABOVE = 4_096
"""Libraries with more examples than this get an HNSW index instead of exact search: up
to here the exact scan reads at most 8 MB of vectors, about a 2-core machine's L3. At
10,000 examples it read 20 MB per query (1.7-2.0 ms in ``assist bench``), HNSW at
100,000 about 0.25 ms; recall@1 on 9,003 BANKING77 embeddings was 1.0."""
HNSW_NEIGHBOURS = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 64
"""The search's candidate list: as long as the 64 neighbours a lookup asks for. Measured on
9,003 BANKING77 embeddings (1,000 held-out queries): recall@1 1.0 as at 128, recall@64 0.990
against 0.998, and at 100k synthetic examples half the search time (0.25 against 0.46 ms)."""
ENCODE_BATCH = 256


@dataclass(frozen=True)
class Manifest:
    format: int
    model_id: str
    library_hash: str
    dim: int
    scripts: int
    examples: int
    index_type: str
    build: str
    created: str
    rows: str = ""
    """SHA-256 of the (script id, example) rows, in index order (:func:`rows_digest`)."""
    files: dict[str, str] = field(default_factory=dict)


@dataclass
class LoadedIndex:
    manifest: Manifest
    dense: Any  # a faiss.Index
    lexical: LexicalIndex
    head: ScenarioHead | None
    vectors: np.ndarray  # zero-copy view of the dense index's stored vectors


def example_rows(library: Library) -> list[tuple[int, str]]:
    """(script position, example) for every example of every active script, in index order."""
    active = library.active_scripts
    return [(position, example) for position, script in enumerate(active) for example in script.examples]


def rows_digest(library: Library) -> str:
    """What the index's rows stand for: each row's script id and example text, in order."""
    digest = hashlib.sha256()
    active = library.active_scripts
    for position, example in example_rows(library):
        digest.update(active[position].id.encode())
        digest.update(b"\0")
        digest.update(example.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def encode_in_batches(encoder: Encoder, texts: list[str], batch: int = ENCODE_BATCH) -> np.ndarray:
    parts = [encoder.encode(texts[i : i + batch]) for i in range(0, len(texts), batch)]
    return np.vstack(parts) if parts else np.zeros((0, encoder.dim), dtype=np.float32)


def make_dense_index(vectors: np.ndarray) -> tuple[Any, str]:
    """Exact inner-product search for small libraries, HNSW above APPROXIMATE_ABOVE."""
    faiss.omp_set_num_threads(cpu_threads())
    dim = int(vectors.shape[1])
    index: Any
    if vectors.shape[0] > APPROXIMATE_ABOVE:
        index = faiss.IndexHNSWFlat(dim, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
        kind = "hnsw"
    else:
        index = faiss.IndexFlatIP(dim)
        kind = "flat"
    if vectors.shape[0]:
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index, kind


def fsync_folder(folder: Path) -> None:
    for path in folder.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())


def unwritable(folder: Path, error: OSError) -> IndexStateError:
    """The error for an index folder that cannot be written, naming both ways out."""
    return IndexStateError(
        f"cannot write the index into {folder} ({error.strerror or type(error).__name__}); "
        f"pass --index DIR with a writable folder, or set {INDEX_DIR_ENV}=DIR"
    )


def build_index(
    library: Library, encoder: Encoder, folder: Path, tune_head: bool = False,
    emit: Callable[[str], None] | None = None,
) -> Manifest:
    """Embed every example, build dense + lexical indexes and switch the manifest atomically,
    holding ``folder``'s build lock throughout (:mod:`assist.folder_lock`).

    ``tune_head`` chooses the head's settings by cross-validation (:mod:`assist.indexing.head_blend`).
    A folder that cannot be written is an :class:`IndexStateError` naming ``--index``."""
    try:
        with folder_lock(folder, emit=emit):
            return build_locked(library, encoder, folder, tune_head)
    except OSError as error:
        raise unwritable(folder, error) from None


def build_locked(library: Library, encoder: Encoder, folder: Path, tune_head: bool = False) -> Manifest:
    """:func:`build_index` for a caller that holds the build lock."""
    rows = example_rows(library)
    texts = [text for _, text in rows]
    from assist.text.normalise import normalise

    normalised = [normalise(t) for t in texts]
    vectors = encode_in_batches(encoder, normalised)
    keep_token_work = getattr(encoder, "keep_token_work", None)
    if keep_token_work is not None:  # the full model's work per token of the library, for later processes
        keep_token_work()
    dense, kind = make_dense_index(vectors)
    lexical = LexicalIndex.build(texts)
    scenarios = [library.active_scripts[position].scenario for position, _ in rows]
    head = build_head(vectors, scenarios, normalised, lexical, tune_head)[0] if len(set(scenarios)) > 1 else None

    build_id = f"build-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    staging = folder / f".{build_id}.partial"
    staging.mkdir()
    try:
        faiss.write_index(dense, str(staging / "dense.faiss"))
        names = ["dense.faiss", *lexical.save(staging)]
        if head is not None:
            names.append(head.save(staging))
        fsync_folder(staging)
        target = folder / build_id
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    manifest = Manifest(
        format=FORMAT_VERSION,
        model_id=encoder.model_id,
        library_hash=library.content_hash,
        dim=int(vectors.shape[1]) if vectors.size else encoder.dim,
        scripts=len(library.active_scripts),
        examples=len(rows),
        index_type=kind,
        build=build_id,
        created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        rows=rows_digest(library),
        files={name: sha256_file(target / name) for name in names},
    )
    write_sealed_json(folder / "manifest.json", asdict(manifest), indent=2)
    remove_old_builds(folder, keep=build_id)
    return manifest


def remove_old_builds(folder: Path, keep: str) -> None:
    """Delete other builds, and what dead builds left (partial folders, temp files).

    Only ever called under the build lock: a partial folder is then certainly a dead
    build's, never one a running build is writing."""
    for child in folder.iterdir():
        stale_build = child.name.startswith("build-") and child.name != keep
        stale_partial = child.name.startswith(".build-") and child.name.endswith(".partial")
        if child.is_dir() and (stale_build or stale_partial):
            shutil.rmtree(child, ignore_errors=True)
        elif child.is_file() and child.name.startswith((".manifest.json.", ".calibration.json.")):
            child.unlink(missing_ok=True)  # temp file of a write killed before its rename


_BUILD_NAME = re.compile(r"^build-[A-Za-z0-9_-]+$")
_FILE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")


def manifest_problem(data: Any) -> str | None:
    """What makes parsed ``manifest.json`` data unusable (wrong types, a build or file
    name that is not a plain name inside the index folder), or None."""
    if not isinstance(data, dict):
        return "not a JSON object"
    for name in ("format", "dim", "scripts", "examples"):
        if not isinstance(data.get(name), int) or isinstance(data.get(name), bool):
            return f"'{name}' is not a whole number"
    for name in ("model_id", "library_hash", "index_type", "build", "created", "rows"):
        if not isinstance(data.get(name), str):
            return f"'{name}' is not a text"
    if not _BUILD_NAME.match(data["build"]):
        return "'build' is not the name of a build folder"
    files = data.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(name, str) and _FILE_NAME.match(name) and isinstance(digest, str)
        for name, digest in files.items()
    ):
        return "'files' is not a map of file names to checksums"
    missing = [name for name in CORE_FILES if name not in files]
    if missing:
        return f"'files' does not list {', '.join(missing)}"
    return None


def read_manifest(folder: Path, build_hint: str = "assist build") -> Manifest | None:
    """The manifest of ``folder``, None when there is none; damaged, an :class:`IndexStateError`."""
    path = folder / "manifest.json"
    if not path.is_file():
        return None
    try:
        data = read_sealed_json(path)
        problem = manifest_problem(data)
        if problem is not None:
            raise IndexStateError(f"{path} is unreadable ({problem}). Rebuild it: {build_hint}")
        return Manifest(**data)
    except (SealError, OSError, ValueError, TypeError) as exc:
        raise IndexStateError(
            f"{path} is unreadable ({exc}). Rebuild it: {build_hint}"
        ) from None


def stale_reason(manifest: Manifest | None, library: Library, encoder: Encoder) -> str | None:
    """Why the index on disk cannot serve this library and model, or None if it can."""
    if manifest is None:
        return "no index has been built yet"
    if manifest.format != FORMAT_VERSION:
        return f"index format {manifest.format} is not the current format {FORMAT_VERSION}"
    if manifest.model_id != encoder.model_id:
        return f"index was built with model '{manifest.model_id}', not '{encoder.model_id}'"
    if manifest.library_hash != library.content_hash:
        return "the script library changed since the index was built"
    rows = example_rows(library)
    if (manifest.scripts, manifest.examples) != (len(library.active_scripts), len(rows)):
        return (f"the index holds {manifest.examples} examples of {manifest.scripts} scripts, "
                f"the library {len(rows)} of {len(library.active_scripts)}")
    if manifest.rows != rows_digest(library):
        return "the index's rows are not the library's examples"
    return None


_LEXICAL_LOADED: weakref.WeakValueDictionary[tuple[str, str], LexicalIndex] = weakref.WeakValueDictionary()
"""The lexical indexes this process holds, by the checksums of their two files."""


def _load_lexical(build: Path, manifest: Manifest) -> LexicalIndex:
    """The build's lexical index: the one already held when its files' checksums (verified against
    the files just before) are those of an index this process loaded, else read now.

    The quick pass's index and the full model's are built from the same examples, so their
    lexical files are the same bytes: the second load (about 0.1 CPU-s: the vocabulary's dict and
    the postings' weights) is served by the first, and :class:`assist.lookup.cascade.Cascade`
    then finds them equal at once. A :class:`LexicalIndex` is not changed after it is made."""
    key = (manifest.files["lexical.npz"], manifest.files["lexical_vocab.json"])
    held = _LEXICAL_LOADED.get(key)
    if held is None:
        held = LexicalIndex.load(build)
        _LEXICAL_LOADED[key] = held
    return held


def load_index(folder: Path, manifest: Manifest, build_hint: str = "assist build") -> LoadedIndex:
    """Load the build named by ``manifest``, verifying that its ``files`` map lists exactly the
    build's files and every file's checksum."""
    build = folder / manifest.build
    missing_core = [name for name in CORE_FILES if name not in manifest.files]
    if missing_core:
        raise IndexStateError(
            f"the manifest in {folder} does not list {', '.join(missing_core)}. Rebuild the index: {build_hint}"
        )
    for name, expected in manifest.files.items():
        path = build / name
        if not path.is_file():
            raise IndexStateError(f"index file {path} is missing. Rebuild the index: {build_hint}")
        if sha256_file(path) != expected:
            raise IndexStateError(
                f"index file {path} is corrupted or truncated (checksum mismatch). "
                f"Rebuild the index: {build_hint}"
            )
    unlisted = sorted(p.name for p in build.iterdir() if p.name not in manifest.files)
    if unlisted:
        raise IndexStateError(
            f"index folder {build} holds {', '.join(unlisted)}, which its manifest does not list. "
            f"Rebuild the index: {build_hint}"
        )
    try:
        dense = faiss.read_index(str(build / "dense.faiss"))
        lexical = _load_lexical(build, manifest)
        head = ScenarioHead.load(build) if "head.npz" in manifest.files else None
    except Exception as exc:
        raise IndexStateError(f"index in {build} could not be read ({exc}). Rebuild it: {build_hint}") from None
    if hasattr(dense, "hnsw"):
        dense.hnsw.efSearch = HNSW_EF_SEARCH
    if (
        dense.ntotal != manifest.examples
        or dense.d != manifest.dim
        or lexical.n_docs != manifest.examples
        or not lexical.consistent()
    ):
        raise IndexStateError(f"index in {build} does not match its manifest. Rebuild it: {build_hint}")
    return LoadedIndex(manifest=manifest, dense=dense, lexical=lexical, head=head, vectors=stored_vectors(dense))


def stored_vectors(dense_index: Any) -> np.ndarray:
    """A zero-copy numpy view of the vectors held by a flat or HNSW FAISS index."""
    storage: Any = faiss.downcast_index(dense_index.storage) if hasattr(dense_index, "storage") else dense_index
    flat = faiss.rev_swig_ptr(storage.get_xb(), storage.ntotal * storage.d)
    return np.asarray(flat).reshape(storage.ntotal, storage.d)


CALIBRATE_HINT = "assist evaluate LABELLED.jsonl --calibrate"


def read_calibration(folder: Path, manifest: Manifest) -> float | None:
    """The calibrated abstention threshold for this exact library and model, if any.

    A calibration of another library or model is not this one's: None (the default
    threshold). A damaged file, or a threshold that is not a finite number in [0, 1]
    (9.5 made every lookup abstain, NaN none), is an :class:`IndexStateError` naming the fix."""
    path = folder / "calibration.json"
    if not path.is_file():
        return None
    fix = f"calibrate again ({CALIBRATE_HINT}) or delete {path} to use the default threshold"
    try:
        data = read_sealed_json(path)
    except (SealError, OSError) as exc:
        raise IndexStateError(f"{path} is damaged ({exc}); {fix}") from None
    if not isinstance(data, dict):
        raise IndexStateError(f"{path} is damaged (not a JSON object); {fix}")
    if data.get("library_hash") != manifest.library_hash or data.get("model_id") != manifest.model_id:
        return None
    threshold = data.get("threshold")
    if not isinstance(threshold, int | float) or not valid_threshold(threshold):
        raise IndexStateError(f"{path} holds threshold {threshold!r}, not a number in [0, 1]; {fix}")
    return float(threshold)


def valid_threshold(value: object) -> bool:
    """A finite number in [0, 1] (scores are cosines blended into [0, 1])."""
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value) and 0.0 <= value <= 1.0)


def write_calibration(folder: Path, manifest: Manifest, threshold: float, details: dict[str, Any]) -> None:
    if not valid_threshold(threshold):
        raise ValueError(f"threshold {threshold!r} is not a number in [0, 1]")
    write_sealed_json(
        folder / "calibration.json",
        {"library_hash": manifest.library_hash, "model_id": manifest.model_id,
         "threshold": threshold, **details},
        indent=2,
    )


RELOAD_ATTEMPTS = 3
"""Times a load reads the manifest again when a build swapped it mid-load."""


def open_index(
    folder: Path, library: Library, encoder: Encoder, *, auto_build: bool, build_hint: str = "assist build",
    emit: Callable[[str], None] | None = None,
) -> LoadedIndex:
    """The index of ``library`` and ``encoder`` in ``folder``: loaded and verified, or, when it is
    missing, stale or damaged and ``auto_build`` allows, built first under the build lock.

    Without ``auto_build`` a missing, stale or damaged index is an :class:`IndexStateError`
    naming ``build_hint``. Loading takes no lock: a build that swaps the manifest while this
    reads is noticed (the files fail their checksums or are gone, and the manifest names
    another build), and the new manifest is read again."""
    say = emit or (lambda message: None)
    for _ in range(RELOAD_ATTEMPTS):
        manifest, reason = _current(folder, library, encoder, auto_build, build_hint)
        if reason is None and manifest is not None:
            try:
                return load_index(folder, manifest, build_hint)
            except IndexStateError:
                if _manifest_build(folder) != manifest.build:
                    continue  # a build replaced the index while it was read: read the new one
                if not auto_build:
                    raise
                reason = "the index is damaged"
        if not auto_build:
            raise IndexStateError(f"{reason}. Build it: {build_hint}")
        try:
            with folder_lock(folder, emit=say):
                # Another build may have finished while this one waited for the lock.
                manifest, reason = _current(folder, library, encoder, True, build_hint)
                if reason is None and manifest is not None:
                    try:
                        return load_index(folder, manifest, build_hint)
                    except IndexStateError:
                        reason = "the index is damaged"
                say(f"assist: {reason}; building the index in {folder} ...")
                manifest = build_locked(library, encoder, folder)
                return load_index(folder, manifest, build_hint)
        except OSError as error:
            raise unwritable(folder, error) from None
    raise IndexStateError(f"the index in {folder} kept changing while it was loaded. Try again, or: {build_hint}")


def _current(
    folder: Path, library: Library, encoder: Encoder, auto_build: bool, build_hint: str
) -> tuple[Manifest | None, str | None]:
    """The manifest in ``folder`` and why it cannot serve (None: it can)."""
    try:
        manifest = read_manifest(folder, build_hint)
    except IndexStateError:
        if not auto_build:
            raise
        return None, "the index manifest is damaged"
    return manifest, stale_reason(manifest, library, encoder)


def _manifest_build(folder: Path) -> str | None:
    try:
        manifest = read_manifest(folder)
    except IndexStateError:
        return None
    return manifest.build if manifest is not None else None
