"""Issue 12 §9: a full disk is one clear error line and a failed job, with the space given back;
an export killed outright leaves debris that the next export (or worker) removes."""

import errno
import os
import shutil
import signal
import subprocess

import pytest
from django.core.management import CommandError, call_command

from datasets import writers
from datasets.models import ExportJob
from datasets.options import ExportOptions
from datasets.services import ExportError, write_export
from datasets.tasks import queue_export

from .conftest import PYTHON, ROOT, base_env, manage, stop_process, wait_for
from .test_worker_faults import job, start_worker, worker_env
from .test_worker_faults import queue_export as queue_export_in


class FullDisk:
    """Files that take `room` bytes in all, then fail as a full disk does: ENOSPC on the write
    that does not fit and again when closing flushes what is still buffered."""

    def __init__(self, room: int):
        self.room = room

    def open(self, path, mode="r", **kwargs):
        disk = self
        real = open(path, mode, **kwargs)  # noqa: SIM115 (closed through the wrapper)

        class Handle:
            closed = property(lambda self: real.closed)

            def write(self, text):
                size = len(text.encode("utf-8")) if isinstance(text, str) else len(text)
                if size > disk.room:
                    self.pending = True
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                disk.room -= size
                return real.write(text)

            def flush(self):
                if getattr(self, "pending", False):
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                real.flush()

            def close(self):
                try:
                    if getattr(self, "pending", False):
                        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                finally:
                    real.close()

            def __getattr__(self, name):
                return getattr(real, name)

        return Handle()


@pytest.fixture
def full_disk(monkeypatch):
    disk = FullDisk(room=2000)
    monkeypatch.setattr(writers, "open", disk.open, raising=False)
    return disk


@pytest.mark.django_db
@pytest.mark.parametrize("as_zip", [False, True])
def test_an_injected_full_disk_is_an_export_error_and_nothing_is_left(annotated, tmp_path, full_disk, as_zip):
    with pytest.raises(ExportError) as caught:
        write_export(ExportOptions(format="all"), tmp_path / "out", as_zip=as_zip)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"cannot write the export in {tmp_path}: No space left on device (")
    assert message.endswith("bytes free); the partial files were removed")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_an_injected_full_disk_is_a_command_error_and_a_failed_job(annotated, tmp_path, full_disk, settings, lead):
    with pytest.raises(CommandError, match="No space left on device"):
        call_command("export", "--format", "all", "--out", str(tmp_path / "out"))
    settings.EXPORT_ROOT = tmp_path / "exports"
    job = queue_export(ExportOptions(format="all"), user=lead)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert "No space left on device" in job.error
    assert not job.error.startswith(("OSError", "ExportError"))
    assert list((tmp_path / "exports").iterdir()) == []
    assert list(tmp_path.iterdir()) == [tmp_path / "exports"]


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 256 KiB filesystem (tmpfs; mounting needs root, else the test is skipped: the
    injected full disk above runs everywhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if not shutil.which("mount"):
        pytest.skip("no mount command")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.decode().strip()}); the injected ENOSPC tests cover it")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def used(mount) -> int:
    return shutil.disk_usage(mount).used


@pytest.mark.slow
@pytest.mark.parametrize("zip_flag", [[], ["--zip"]])
def test_a_real_full_disk_is_one_error_line_and_the_space_comes_back(scratch_db, tiny_disk, zip_flag):
    env = base_env(DATABASE_URL=scratch_db.url)
    empty = used(tiny_disk)
    result = manage("export", "--format", "all", "--out", str(tiny_disk / "out"), *zip_flag, env=env, check=False)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]], result.stderr  # one line, no traceback
    assert lines[0].startswith(f"CommandError: cannot write the export in {tiny_disk}: No space left on device")
    assert os.listdir(tiny_disk) == []
    assert used(tiny_disk) == empty


@pytest.mark.slow
def test_a_job_on_a_full_disk_fails_with_the_reason(scratch_db, tiny_disk, tmp_path):
    env = worker_env(scratch_db, tmp_path, EXPORT_ROOT=tiny_disk)
    job_id = queue_export_in(env, fmt="all")
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        wait_for(lambda: job(scratch_db, job_id)["status"] in ("done", "failed"), timeout=180, what="the job")
    finally:
        stop_process(worker)
    ended = job(scratch_db, job_id)
    assert ended["status"] == "failed"
    assert ended["error"].startswith(f"cannot write the export in {tiny_disk}: No space left on device")
    assert os.listdir(tiny_disk) == []


@pytest.mark.slow
def test_a_killed_export_leaves_debris_the_next_export_removes(scratch_db, tmp_path):
    env = base_env(DATABASE_URL=scratch_db.url)
    out = tmp_path / "out"

    def debris():
        return sorted(tmp_path.glob(".out.*partial"))

    export = subprocess.Popen(
        [PYTHON, "manage.py", "export", "--format", "all", "--out", str(out)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: any(path.is_dir() and any(path.iterdir()) for path in debris()), timeout=120, what="work")
        export.send_signal(signal.SIGKILL)
        export.wait(timeout=30)
    finally:
        stop_process(export)
    left = debris()
    assert left, "a killed export leaves its temporary folder"
    assert not out.exists()
    manage("export", "--format", "jsonl", "--out", str(out), env=env)
    assert (out / "sentences.jsonl").exists()
    assert debris() == []
