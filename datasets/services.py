"""Write a labelled-dataset export: stream rows into every requested format, then add the dataset
card (dataset.json + README.md) and move the result into place in one rename.

Everything is written into a temporary folder beside the destination; files are fsynced and the
folder (or the zip built from it) is renamed to the final name only when complete, so a failure
(disk full, an exception, a killed process) never leaves a half-written file under the final name.

Temporary names are `.<final name>.<host>-<pid>.<random>[.zip|.old].partial`, and the process
writing one holds an exclusive lock (flock) on it. A failure removes its own; a process killed
outright cannot, but its lock dies with it, so the next export to the same destination and every
task worker at start (`remove_stale_partials`) remove the unlocked ones. A full disk (or any other
OS error) is an ExportError with one clear line.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import logging
import os
import re
import secrets
import shutil
import socket
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from annotate.codebook import CODEBOOK_VERSION, Label

from .card import render_readme
from .options import ExportOptions
from .records import iter_rows
from .splits import SPLITS
from .writers import WRITERS, dumps

SCHEMA_VERSION = "1"
logger = logging.getLogger(__name__)
DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class ExportError(Exception):
    """An export that cannot be written as asked; nothing was written."""


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:60] or "host"


def _owner() -> str:
    return f"{_host()}-{os.getpid()}"


PARTIAL = re.compile(r"^\..+(\.partial|\.old-\d+)$")  # (.old-<pid>: older versions' name for a replaced folder)


def _lock(path: Path) -> int:
    """Hold an exclusive lock on `path` (a file or folder) until the returned descriptor is closed
    or the process ends, however it ends: the mark that a temporary file is in use."""
    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _in_use(entry: Path) -> bool:
    """Whether a live export holds `entry`'s lock (a killed one's lock went with its process)."""
    try:
        fd = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _remove(entry: Path) -> int:
    """Delete a file or folder; returns the bytes freed (best effort, never raises)."""
    freed = 0
    try:
        if entry.is_dir() and not entry.is_symlink():
            for path in entry.rglob("*"):
                with contextlib.suppress(OSError):
                    freed += path.lstat().st_size
            shutil.rmtree(entry, ignore_errors=True)
        else:
            freed = entry.lstat().st_size
            entry.unlink(missing_ok=True)
    except OSError:
        pass
    return freed


def remove_stale_partials(folder: str | os.PathLike, *, final_name: str | None = None) -> list[Path]:
    """Remove the temporary files and folders that exports killed outright left in `folder` (no
    live process holds their lock). With `final_name`, only those of that destination. Returns
    what was removed; never raises."""
    folder = Path(folder)
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith("."):
            continue
        if final_name is not None and not entry.name.startswith(f".{final_name}."):
            continue
        if PARTIAL.match(entry.name) and not _in_use(entry):
            freed = _remove(entry)
            removed.append(entry)
            logger.info("removed %s left by a killed export (%d bytes)", entry, freed)
    return removed


def _as_export_error(exc: OSError, folder: Path) -> ExportError:
    """One clear line for an OS error while writing into `folder`."""
    reason = exc.strerror or str(exc)
    if exc.errno in DISK_FULL:
        try:
            free = shutil.disk_usage(folder).free
            reason += f" ({free:,} bytes free)"
        except OSError:
            pass
        return ExportError(f"cannot write the export in {folder}: {reason}; the partial files were removed")
    return ExportError(f"cannot write the export in {folder}: {reason}; nothing was written")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    card: dict

    @property
    def count(self) -> int:
        return self.card["counts"]["sentences"]


def final_path(out: str | os.PathLike, *, as_zip: bool) -> Path:
    path = Path(out).expanduser().absolute()
    if as_zip and path.suffix != ".zip":
        path = path.with_name(path.name + ".zip")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


class _Tally:
    """Counts and agreement over the exported rows, in constant memory. Per row only one counter
    of kinds of rows (gold label, split, label source, the marks' labels) goes up; the counts and
    the label patterns are folded from it at the end (in the order the rows first showed them)."""

    def __init__(self) -> None:
        self.articles = 0
        self.kinds: Counter = Counter()  # (label, split, label source, labels of the marks) -> sentences
        self.agreement_sum = 0.0
        self.agreement_n = 0

    def add(self, row) -> None:
        record = row.record
        self.kinds[record["label"], record["split"], record["label_source"], row.labels] += 1
        self.articles += row.first_of_article
        agreement = record["agreement"]
        if agreement is not None:
            self.agreement_sum += agreement
            self.agreement_n += 1

    @property
    def sentences(self) -> int:
        return sum(self.kinds.values())

    @property
    def annotations(self) -> int:
        return sum(n * len(labels) for (_, _, _, labels), n in self.kinds.items())

    def patterns(self) -> Counter:
        """Sorted labels of a sentence's marks (2 or more) -> sentences."""
        patterns: Counter = Counter()
        for (_, _, _, labels), n in self.kinds.items():
            if len(labels) >= 2:
                patterns[tuple(sorted(labels))] += n
        return patterns

    def agreement(self) -> dict:
        # Imported here: the scoring module needs numpy, which a process should load only when
        # it computes something with it (the admin imports this module at every start-up).
        from reliability.scoring import interpret_alpha, krippendorff_alpha_from_label_patterns

        patterns = self.patterns()
        alpha = krippendorff_alpha_from_label_patterns(patterns)
        return {
            "krippendorff_alpha": None if alpha is None else round(alpha, 4),
            "interpretation": interpret_alpha(alpha),
            "pairable_sentences": sum(patterns.values()),
            "mean_sentence_agreement": round(self.agreement_sum / self.agreement_n, 4) if self.agreement_n else None,
            "definition": (
                "krippendorff_alpha: nominal alpha on the label over the exported sentences with 2 or more "
                "marks; sentence agreement: share of a sentence's marks equal to its gold label"
            ),
        }

    def counts(self) -> dict:
        labels = [*Label.values, "null"]
        by_label: Counter = Counter()
        by_split: Counter = Counter()
        by_label_source: Counter = Counter()
        by_split_label: dict[str, Counter] = {split: Counter() for split in SPLITS}
        for (label, split, label_source, _), n in self.kinds.items():
            label = label or "null"
            by_label[label] += n
            by_split[split] += n
            by_label_source[label_source] += n
            by_split_label[split][label] += n
        return {
            "sentences": self.sentences,
            "articles": self.articles,
            "annotations": self.annotations,
            "by_label": {label: by_label[label] for label in labels if by_label[label] or label != "null"},
            "by_split": {split: by_split[split] for split in SPLITS},
            "by_label_source": dict(sorted(by_label_source.items())),
            "by_split_label": {split: dict(sorted(counter.items())) for split, counter in by_split_label.items()},
        }


def write_export(
    options: ExportOptions,
    out: str | os.PathLike,
    *,
    force: bool = False,
    as_zip: bool = False,
    on_total: Callable[[int], object] | None = None,
    on_progress: Callable[[int], object] | None = None,
) -> ExportResult:
    """Export the sentences `options` select to `out` (a folder, or `out`.zip with as_zip).

    Refuses (ExportError) when `out` exists unless `force`. A filter that matches nothing gives a
    valid, empty export whose card says so. `on_total(n)` receives the number of sentences the
    export reads (records.iter_rows) before the first row; `on_progress(n)` the number read so far,
    once per batch.
    Returns the final path and the card.
    """
    formats = options.formats
    final = final_path(out, as_zip=as_zip)
    if final.exists() and not force:
        raise ExportError(f"{final} already exists; choose another path or pass --force to replace it")
    if final.exists() and final.is_dir() != (not as_zip):
        raise ExportError(f"{final} exists and is a {'folder' if final.is_dir() else 'file'}; remove it first")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _as_export_error(exc, final.parent) from exc
    remove_stale_partials(final.parent, final_name=final.name)

    owner = _owner()
    try:
        work = Path(tempfile.mkdtemp(prefix=f".{final.name}.{owner}.", suffix=".partial", dir=final.parent))
    except OSError as exc:
        raise _as_export_error(exc, final.parent) from exc
    zip_partial = final.with_name(f".{final.name}.{owner}.{secrets.token_hex(4)}.zip.partial")
    writers, locks = [], []
    try:
        locks.append(_lock(work))
        umask = os.umask(0)
        os.umask(umask)
        work.chmod(0o777 & ~umask)  # mkdtemp makes it private; the export is an ordinary folder
        writers = [WRITERS[name](work, options) for name in formats]
        tally = _Tally()
        for row in iter_rows(options, on_total=on_total, on_chunk=on_progress):
            for writer in writers:
                writer.write(row)
            tally.add(row)
        for writer in writers:
            writer.close()
        card = _card(options, final, tally, {writer.path.name: writer.rows for writer in writers})
        _write_text(work / "README.md", render_readme(card))
        digests = {writer.path.name: writer.sha256() for writer in writers}
        for name in [*card["files"], "README.md"]:
            path = work / name
            card["files"][name] = {
                "sha256": digests.get(name) or _sha256(path),
                "bytes": path.stat().st_size,
                "rows": card["files"].get(name, {}).get("rows"),
            }
        _write_text(work / "dataset.json", dumps(card) + "\n")
        _fsync_dir(work)
        if as_zip:
            zip_partial.touch()
            locks.append(_lock(zip_partial))
            _zip(work, zip_partial)
            os.replace(zip_partial, final)
            shutil.rmtree(work)
        else:
            _replace_folder(work, final)
        _fsync_dir(final.parent)
    except BaseException as exc:
        # Every step of the clean-up runs even when another fails (closing a file on a full disk
        # raises ENOSPC again while flushing), so the space is given back.
        for writer in writers:
            with contextlib.suppress(OSError):
                writer.abort()
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):
            zip_partial.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _as_export_error(exc, final.parent) from exc
        raise
    finally:
        for fd in locks:
            os.close(fd)
    return ExportResult(path=final, card=card)


def _card(options: ExportOptions, final: Path, tally: _Tally, files: dict[str, int]) -> dict:
    empty = tally.sentences == 0
    return {
        "schema_version": SCHEMA_VERSION,
        "name": final.name,
        "created": timezone.now().isoformat(),
        "codebook_version": CODEBOOK_VERSION,
        "formats": list(options.formats),
        "filters": options.to_dict(),
        "empty": empty,
        "message": (
            "No sentence matched the filters: the export is valid but empty."
            if empty
            else f"{tally.sentences} sentences from {tally.articles} articles."
        ),
        "counts": tally.counts(),
        "agreement": tally.agreement(),
        "files": {name: {"rows": rows} for name, rows in files.items()},
    }


def _zip(folder: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, arcname=path.name)
    with open(target, "rb+") as handle:
        os.fsync(handle.fileno())


def _replace_folder(work: Path, final: Path) -> None:
    """Move the finished folder to `final`; an existing `final` (with --force) is removed after."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.{_owner()}.{secrets.token_hex(4)}.old.partial")
        os.replace(final, old)
        lock = _lock(old)
    os.replace(work, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
        os.close(lock)
