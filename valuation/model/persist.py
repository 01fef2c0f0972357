"""Prepared datasets kept on disk beside the database, so a dataset opens in a second or two.

Preparing a dataset for a date (the feature SQL, the CLV fit, the dimension scores) takes
about 11 s at a million customers; scoring it for a setting takes tens of milliseconds. The
prepared result is written once, as one uncompressed Arrow file (Feather), to a folder beside the database file
(``valuation.duckdb.prepared/``), and read back by every later session, every other app
process on the same file and every restart:

- The file is named by a hash of everything that decides its content: the dataset's name and
  the time it was imported (a new import is a new version; the old files are deleted when a
  new one is written), the as-of date, the CLV settings, the custom dimensions, and
  ``FORMAT`` (raised whenever the prepared columns change, so an upgrade recomputes).
- A file that cannot be written (a read-only folder) or read (damaged, or from another
  version) is not an error: the dataset is prepared as before. A session-only dataset (an
  in-memory store) is never written to disk.
- Writes go to a temporary file renamed into place, so two processes preparing the same key
  at once leave one whole file, never half of one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

from valuation.data import sources
from valuation.data.features import Availability
from valuation.data.store import META, Store
from valuation.model import pipeline, scoring
from valuation.model.settings import ClvSettings, Settings

FORMAT = 3  # raise when Prepared's columns or their meaning change
# As-of dates (or CLV settings) kept per dataset version, the ones used last: a default visit uses
# six (the date shown; the year before it, for the evidence and the backtest; four snapshot dates
# on the dynamics page). About 1.0-1.35 GB each at a million customers.
KEEP_PER_DATASET = 6
STALE_SECONDS = 3600  # a temporary file this old was left by a process killed while writing it
COMPANION_SUFFIXES = (".npz", ".feather")  # small results kept beside a prepared file (companion)
SCORE_PREFIX = "__score__"
DERIVED_PREFIX = "__derived__"
META_KEY = b"valuation.prepared"
# Uncompressed, one record batch, missing numbers as NaN, memory-mapped (save, to_table): at a
# million customers (1.5M rows with prospects, 98 columns) 1.35 GB on disk, made a Prepared by a
# new process in 0.03 s, because no column is copied: each is the mapped file, its pages read when
# a page uses it and shared by every app process on the file. LZ4 (489 MB) and zstd (321 MB) took
# ~1.3-1.4 s, most of it decompressing (fresh processes, warm page cache, 2 cores, 2026-12-05).
# bench/bench_open.py measures the whole open.
COMPRESSION = "uncompressed"
log = logging.getLogger(__name__)


def folder(store: Store) -> Path | None:
    """Where a store's prepared datasets live: beside its file; None for an in-memory store."""
    if store.path == ":memory:":
        return None
    path = Path(store.path)
    return path.with_name(path.name + ".prepared")


def _imported_at(store: Store, dataset: str) -> str | None:
    row = store.cursor().execute(f"SELECT created_at FROM {META}.datasets WHERE name = $d", {"d": dataset}).fetchone()
    return None if row is None else pd.Timestamp(row[0]).isoformat()


def _dataset_folder(root: Path, dataset: str) -> Path:
    return root / hashlib.sha256(dataset.encode("utf-8")).hexdigest()[:16]


def _source_version(store: Store, dataset: str) -> str | None:
    """What tells a dataset's data apart beyond its import time: nothing for an imported or a
    features dataset (a new import is a new time), a fingerprint of the Parquet files (name, size,
    time) of one read in place, which change without a new attach; None when that cannot be told
    (object storage): then nothing is kept, rather than figures of files that changed since."""
    info = sources.kind_info(store, dataset)
    if not info or info["kind"] != sources.KIND_PARQUET:
        return ""
    location = str(info["location"] or "")
    root = Path(location)
    if "://" in location or not root.is_dir():
        return None
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.parquet")):
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode("utf-8"))
    return digest.hexdigest()[:16]


def file_for(store: Store, dataset: str, as_of: dt.date, clv: ClvSettings, custom: tuple[str, ...]) -> Path | None:
    """The file a prepared dataset is kept in (whether or not it exists yet); None when not kept."""
    root = folder(store)
    imported = _imported_at(store, dataset)
    if root is None or imported is None or as_of is None:
        return None
    source = _source_version(store, dataset)
    if source is None:
        return None
    fields = {"format": FORMAT, "dataset": dataset, "imported": imported,
              "as_of": pd.Timestamp(as_of).date().isoformat(), "clv": dataclasses.asdict(clv),
              "custom": list(custom)}
    if source:  # Parquet read in place (an imported dataset's files keep the names they had)
        fields["source"] = source
    key = json.dumps(fields, sort_keys=True, ensure_ascii=False)
    name = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    return _dataset_folder(root, dataset) / f"{imported.replace(':', '')}_{name}.arrow"


# ---- to and from one Arrow file (COMPRESSION above). Read times vary two- to threefold from run to
# run on this machine (page cache, load): compare within one run. zstd Parquet was 4x slower to
# read than Arrow at 100k.


def _meta(prepared: pipeline.Prepared, derived_rules: dict) -> dict:
    attrs = {k: v for k, v in prepared.features.attrs.items() if k not in ("as_of", "availability")}
    return {
        "format": FORMAT,
        "as_of": pd.Timestamp(prepared.as_of).date().isoformat(),
        "availability": dataclasses.asdict(prepared.availability),
        "report": {"available": list(prepared.report.available), "missing": list(prepared.report.missing),
                   "used_sub_metrics": prepared.report.used_sub_metrics},
        "clv_fit": dataclasses.asdict(prepared.clv_fit),
        "custom_candidates": list(prepared.custom_candidates),
        "scores": list(prepared.scores.columns),
        "derived_rules": derived_rules,
        "attrs": json.loads(json.dumps(attrs, default=lambda v: list(v) if isinstance(v, tuple) else str(v))),
    }


def to_table(prepared: pipeline.Prepared, derived: tuple[pd.DataFrame, dict] | None = None) -> pa.Table:
    """The prepared features and scores as one Arrow table, the rest in its metadata; with what the
    first score derives whatever the weights (``derived``: ``pipeline.derived``, computed when not
    given), so a restart skips it too."""
    scores = prepared.scores.set_axis([SCORE_PREFIX + c for c in prepared.scores.columns], axis=1)
    derived, rules = derived if derived is not None else pipeline.derived(prepared)
    frame = pd.concat([prepared.features, scores, derived.add_prefix(DERIVED_PREFIX)], axis=1)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    # Missing numbers stay NaN, not Arrow nulls: read back, a column without nulls is the mapped
    # file itself (no copy; its pages are read when a page uses the column), where nulls had every
    # such column rebuilt at each restart.
    for i, name in enumerate(frame.columns):
        column = frame[name]
        if column.dtype == "float64" and table.column(i).null_count:
            table = table.set_column(i, table.field(i), pa.array(column.to_numpy(), type=pa.float64(),
                                                                 from_pandas=False))
    meta = {**(table.schema.metadata or {}),
            META_KEY: json.dumps(_meta(prepared, rules), allow_nan=True).encode("utf-8")}
    return table.replace_schema_metadata(meta)


def from_table(table: pa.Table) -> pipeline.Prepared:
    """:func:`to_table` read back: the same features, scores and fit, ready to score."""
    meta = json.loads(table.schema.metadata[META_KEY])
    if meta.get("format") != FORMAT:
        raise ValueError(f"prepared format {meta.get('format')} is not {FORMAT}")
    score_columns = [SCORE_PREFIX + c for c in meta["scores"]]
    derived_columns = [c for c in table.column_names if c.startswith(DERIVED_PREFIX)]
    feature_columns = [c for c in table.column_names if c not in set(score_columns) | set(derived_columns)]
    # split_blocks: each column its own block, so numbers are not copied into 2-D blocks
    features = table.select(feature_columns).to_pandas(split_blocks=True)
    scores = table.select(score_columns).to_pandas(split_blocks=True).set_axis(meta["scores"], axis=1)
    derived = table.select(derived_columns).to_pandas(split_blocks=True)
    derived.columns = [c[len(DERIVED_PREFIX):] for c in derived_columns]
    as_of = dt.date.fromisoformat(meta["as_of"])
    availability = Availability(**{**meta["availability"], "notes": tuple(meta["availability"].get("notes", ()))})
    features.attrs.update({**meta["attrs"], "as_of": as_of, "availability": availability})
    if "extra_metrics" in features.attrs:
        features.attrs["extra_metrics"] = tuple(features.attrs["extra_metrics"])
    report = meta["report"]
    fit = meta["clv_fit"]
    fit["costs"] = tuple(fit.get("costs") or ())
    prepared = pipeline.Prepared(
        features=features, scores=scores,
        report=scoring.DimensionReport(available=tuple(report["available"]), missing=tuple(report["missing"]),
                                       used_sub_metrics=report["used_sub_metrics"]),
        clv_fit=pipeline.ClvFit(**fit), as_of=as_of, availability=availability,
        custom_candidates=tuple(meta["custom_candidates"]))
    pipeline.restore_derived(prepared, derived, meta.get("derived_rules") or {})
    return prepared


def load(path: Path) -> pipeline.Prepared | None:
    """The prepared dataset kept in ``path``; None when there is none or it cannot be used.

    A file read is marked as used (its time set to now): the files kept are the ones used last,
    so the dates a team opens every day are not pushed out by a page that looked at others once.
    """
    try:
        prepared = from_table(feather.read_table(path, memory_map=True))
    except FileNotFoundError:
        return None
    except Exception as exc:  # damaged or from another version: prepared again, and said in the log
        log.warning("prepared file %s not used: %s: %s", path, type(exc).__name__, exc)
        return None
    try:
        os.utime(path)
    except OSError:  # a read-only folder: kept by when it was written
        pass
    return prepared


def save(path: Path, prepared: pipeline.Prepared, derived: tuple[pd.DataFrame, dict] | None = None) -> bool:
    """Write ``prepared`` to ``path`` (whole or not at all) and drop this dataset's files of older
    imports and beyond ``KEEP_PER_DATASET``; False when the folder cannot be written."""
    if not isinstance(prepared.features.index, pd.RangeIndex) or prepared.features.index.start != 0:
        return False  # the index would not survive the file
    try:
        table = to_table(prepared, derived)
        # one record batch: columns read back are the mapped file itself, not 64k-row pieces
        # joined into a copy (every page read at each restart)
        _write_whole(path, lambda tmp: feather.write_feather(table, tmp, compression=COMPRESSION,
                                                             chunksize=max(1, table.num_rows)))
    except (OSError, pa.ArrowException) as exc:
        log.warning("prepared file %s not written: %s", path, exc)
        return False
    _prune(path)
    return True


def _write_whole(path: Path, write) -> None:
    """``write(name)`` into a temporary file beside ``path``, then renamed to it: ``path`` is whole
    or absent, never half written, and a process still reading or mapping the old one is safe.
    Raises what ``write`` raises (the temporary file is removed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from app processes of another user
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _prune(path: Path) -> None:
    """Keep this import's files used last (up to KEEP_PER_DATASET, by the time :func:`load` and
    :func:`save` set); files of earlier imports go, and the small files kept with the ones that go
    (:func:`companion`)."""
    imported = path.name.split("_", 1)[0]
    files = sorted(path.parent.glob("*.arrow"), key=lambda p: p.stat().st_mtime, reverse=True)
    kept = [p for p in files if p.name.split("_", 1)[0] == imported][:KEEP_PER_DATASET]
    gone = {p.stem for p in files if p not in kept}
    extras = [p for suffix in COMPANION_SUFFIXES for p in path.parent.glob("*" + suffix)
              if p.name.split("_", 1)[0] != imported or p.stem.rsplit(".", 1)[0] in gone]
    # a temporary file an hour old is no write in progress (1.4 GB take seconds) but one a killed
    # process left: it would hold its disk space for good
    stale = [p for p in path.parent.glob("*.tmp") if _age(p) > STALE_SECONDS]
    for old in [p for p in files if p not in kept] + extras + stale:
        try:
            old.unlink()
        except OSError:
            pass


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


# ---- small results computed from a prepared dataset, kept beside its file (the evidence beside the
# sliders: what each customer made after the date, the learned weights), so a restart reads them too.


def companion(store: Store, dataset: str, as_of: dt.date, clv: ClvSettings, custom: tuple[str, ...],
              name: str, suffix: str = ".npz") -> Path | None:
    """The file results called ``name`` (letters, digits, ``-``) computed from the prepared dataset
    of these arguments are kept in, beside its prepared file and gone with it; None when not kept.
    ``suffix``: ``.npz`` (:func:`save_arrays`, :func:`save_result`) or ``.feather`` (:func:`save_frame`)."""
    if suffix not in COMPANION_SUFFIXES:
        raise ValueError(f"a kept result's file ends in one of {COMPANION_SUFFIXES}, not {suffix!r}")
    if not name.replace("-", "").isalnum():
        raise ValueError(f"a kept result's name is letters, digits and '-', not {name!r}")
    path = file_for(store, dataset, as_of, clv, custom)
    return None if path is None else path.with_name(f"{path.stem}.{name}{suffix}")


def kept_frame(store: Store, dataset: str, as_of: dt.date | None, name: str, compute) -> pd.DataFrame:
    """``compute()``, a table that depends on the dataset's version and ``as_of`` only, kept beside
    the date's prepared file: read back (mapped, not copied) by later processes and restarts."""
    path = companion(store, dataset, as_of, ClvSettings(), (), name, ".feather") if as_of is not None else None
    frame = load_frame(path)
    if frame is None:
        frame = compute()
        save_frame(path, frame)
    return frame


def save_frame(path: Path | None, frame: pd.DataFrame) -> bool:
    """Keep ``frame`` (a default index) in ``path`` as one uncompressed Arrow record batch, whole or not
    at all; False when not kept."""
    if path is None or not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0 \
            or frame.index.step != 1:
        return False
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        _write_whole(path, lambda tmp: feather.write_feather(table, tmp, compression=COMPRESSION,
                                                             chunksize=max(1, table.num_rows)))
    except (OSError, pa.ArrowException, TypeError, ValueError) as exc:
        log.warning("table %s not kept: %s", path, exc)
        return False
    return True


def load_frame(path: Path | None) -> pd.DataFrame | None:
    """The table :func:`save_frame` kept in ``path``; None when there is none or it cannot be read."""
    if path is None:
        return None
    try:
        return feather.read_table(path, memory_map=True).to_pandas(split_blocks=True)
    except FileNotFoundError:
        return None
    except Exception as exc:  # damaged: computed again, and said in the log
        log.warning("kept table %s not used: %s: %s", path, type(exc).__name__, exc)
        return None


def load_arrays(path: Path | None) -> dict[str, np.ndarray] | None:
    """The arrays :func:`save_arrays` kept in ``path``; None when there are none or they cannot be read."""
    if path is None:
        return None
    try:
        with np.load(path, allow_pickle=False) as kept:
            return {name: kept[name] for name in kept.files}
    except FileNotFoundError:
        return None
    except Exception as exc:  # damaged: computed again, and said in the log
        log.warning("kept file %s not used: %s: %s", path, type(exc).__name__, exc)
        return None


def save_result(path: Path | None, result: dict) -> bool:
    """Keep a result made of JSON values, dates, arrays and tables (DataFrames of numbers and text)
    in ``path`` as arrays (no pickle: a file that was tampered with cannot run code); False when
    not kept. :func:`load_result` gives it back."""
    try:
        arrays, meta = _as_arrays(result)
        arrays["__meta__"] = np.array(json.dumps(meta, allow_nan=True))
    except (TypeError, ValueError) as exc:  # not kept rather than pickled or changed
        log.warning("result not kept in %s: %s", path, exc)
        return False
    return save_arrays(path, arrays)


def _as_arrays(result: dict) -> tuple[dict[str, np.ndarray], dict]:
    arrays, meta = {}, {}
    for key, value in result.items():
        if isinstance(value, pd.DataFrame):
            meta[key] = {"frame": len(value.columns), "index": value.index.name, "columns": value.columns.name}
            arrays[f"{key}/index"] = _plain(value.index)
            arrays[f"{key}/columns"] = _plain(value.columns)
            for i in range(len(value.columns)):
                arrays[f"{key}/{i}"] = _plain(value.iloc[:, i])
        elif isinstance(value, np.ndarray):
            meta[key] = {"array": True}
            arrays[key] = value
        elif isinstance(value, dt.date):
            meta[key] = {"date": value.isoformat()}
        else:
            meta[key] = {"json": value}
    if any(a.dtype == object for a in arrays.values()):
        raise ValueError("an array of Python objects")
    return arrays, meta


def _plain(values) -> np.ndarray:
    """Numbers and booleans as they are, text as text (arrays np.load reads without pickle);
    ValueError for anything else, which would not come back as it was."""
    kind = getattr(values.dtype, "kind", "O")
    if kind in "biuf":
        return values.to_numpy()
    if kind in "OU" and all(isinstance(v, str) for v in values):
        return values.to_numpy(dtype=str)
    raise ValueError(f"not kept: values of type {values.dtype} are neither numbers nor text")


def load_result(path: Path | None) -> dict | None:
    """The result :func:`save_result` kept in ``path``; None when there is none or it cannot be read."""
    arrays = load_arrays(path)
    if arrays is None or "__meta__" not in arrays:
        return None
    try:
        out = {}
        for key, how in json.loads(str(arrays["__meta__"])).items():
            if "frame" in how:
                columns = arrays[f"{key}/columns"]
                frame = pd.DataFrame({i: arrays[f"{key}/{i}"] for i in range(how["frame"])},
                                     index=pd.Index(arrays[f"{key}/index"], name=how["index"]))
                frame.columns = pd.Index(columns, name=how["columns"])
                out[key] = frame
            elif "array" in how:
                out[key] = arrays[key]
            elif "date" in how:
                out[key] = dt.date.fromisoformat(how["date"])
            else:
                out[key] = how["json"]
        return out
    except (KeyError, ValueError, TypeError) as exc:
        log.warning("kept file %s not used: %s: %s", path, type(exc).__name__, exc)
        return None


def save_arrays(path: Path | None, arrays: dict[str, np.ndarray]) -> bool:
    """Keep ``arrays`` in ``path`` (whole or not at all); False when not kept (no path, a read-only
    folder): the next process computes them again, never an error."""
    if path is None:
        return False
    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:  # a file, not a name: np.savez would add ".npz" to the name
            np.savez(fh, **arrays)
    try:
        _write_whole(path, write)
    except OSError as exc:
        log.warning("kept file %s not written: %s", path, exc)
        return False
    return True


def forget(store: Store, dataset: str) -> None:
    """Drop a dataset's prepared files (it was deleted or replaced)."""
    root = folder(store)
    if root is not None:
        shutil.rmtree(_dataset_folder(root, dataset), ignore_errors=True)


_WRITING: dict[Path, threading.Thread] = {}  # files being written in the background, by path
_WRITING_LOCK = threading.Lock()


def wait() -> None:
    """Return once every file written in the background (``prepare_dataset(wait=False)``) is done."""
    with _WRITING_LOCK:
        threads = list(_WRITING.values())
    for thread in threads:
        thread.join()


def prepare_dataset(store: Store, dataset: str, as_of: dt.date | None, clv: ClvSettings = ClvSettings(),
                    custom: tuple[str, ...] = (), wait: bool = True) -> pipeline.Prepared:
    """:func:`valuation.model.pipeline.prepare_dataset`, read from its file when it was prepared
    before (by any session or process, before a restart too), else prepared and kept.

    ``as_of`` None is the dashboard's default date (the last order on or before today), and its
    file is the dashboard's. ``wait=False`` (the dashboard) writes the file in a background thread,
    so the first visitor does not wait for 1.4 GB to reach the disk at a million customers (about
    3 s); what the first score derives (``pipeline.derived``) is computed here either way: that
    score needs it.
    """
    if as_of is None:
        as_of = sources.date_range(store, dataset)[1]
    path = file_for(store, dataset, as_of, clv, custom) if as_of is not None else None
    if path is not None:
        kept = load(path)
        if kept is not None:
            return kept
    prepared = pipeline.prepare_dataset(store, dataset, as_of, clv, custom)
    if path is None:
        return prepared
    derived = pipeline.derived(prepared)
    if wait:
        save(path, prepared, derived)
        return prepared
    with _WRITING_LOCK:
        if path in _WRITING:  # another session of this process is writing it
            return prepared
        thread = threading.Thread(target=_save_in_background, args=(path, prepared, derived),
                                  name="prepared-file", daemon=True)
        _WRITING[path] = thread
    thread.start()
    return prepared


def run(store: Store, dataset: str, as_of: dt.date | None = None, settings: Settings = Settings(),
        wait: bool = True) -> pd.DataFrame:
    """:func:`valuation.model.pipeline.run` through the prepared files: read when any session,
    process or command prepared that date, else prepared and kept."""
    custom = tuple(c for c, _ in settings.weights.custom)
    return pipeline.score(prepare_dataset(store, dataset, as_of, settings.clv, custom, wait=wait), settings)


def _save_in_background(path: Path, prepared: pipeline.Prepared, derived) -> None:
    try:
        save(path, prepared, derived)
    except Exception:  # noqa: BLE001 - a file not written is prepared again next time, never an error
        log.exception("prepared file %s not written", path)
    finally:
        with _WRITING_LOCK:
            _WRITING.pop(path, None)
