"""Issue 12 §8, §9: real `db_worker` processes killed mid-export, and a database that goes away
under a running worker. A job never stays `running` for good, and a worker never dies of an outage."""

import json
import os
import signal
import subprocess
import zipfile

import pytest

from .conftest import PYTHON, ROOT, base_env, django_python, stop_process, wait_for

pytestmark = pytest.mark.slow


def worker_env(scratch_db, tmp_path, **extra):
    settings = {
        "DATABASE_URL": scratch_db.url,
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "EXPORT_ROOT": tmp_path / "exports",
        "TASK_HEARTBEAT_SECONDS": "0.5",
        "TASK_LEASE_SECONDS": "2",
    }
    return base_env(**{**settings, **extra})


def start_worker(env, log_path, interval="0.1"):
    log = open(log_path, "ab")  # noqa: SIM115 (the process writes to it until stopped)
    return subprocess.Popen(
        [PYTHON, "manage.py", "db_worker", "--no-reload", "--interval", interval, "--no-startup-delay", "-v", "2"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def queue_export(env, fmt="all") -> int:
    code = "from datasets.tasks import queue_export\nfrom datasets.options import ExportOptions\n"
    code += f"print(queue_export(ExportOptions(format={fmt!r})).pk)"
    return int(django_python(code, env=env).stdout.split()[-1])


def job(scratch_db, job_id) -> dict:
    rows = scratch_db.query(
        "SELECT status, progress, total, error, path FROM datasets_exportjob WHERE id = ?", (job_id,)
    )
    return dict(zip(["status", "progress", "total", "error", "path"], rows[0], strict=True))


def export_task(scratch_db) -> dict:
    rows = scratch_db.query(
        "SELECT status, worker_ids, traceback FROM django_tasks_database_dbtaskresult WHERE task_path LIKE ?",
        ("%run_export_job",),
    )
    status, worker_ids, traceback = rows[0]
    return {
        "status": status,
        "worker_ids": json.loads(worker_ids) if isinstance(worker_ids, str) else worker_ids,
        "traceback": traceback,
    }


def partials(tmp_path):
    return sorted((tmp_path / "exports").glob(".*partial"))


@pytest.mark.parametrize(("attempts", "outcome"), [(2, "done"), (1, "failed")])
def test_a_worker_killed_mid_export_leaves_its_job_retried_or_failed_with_the_reason(
    scratch_db, tmp_path, attempts, outcome
):
    env = worker_env(scratch_db, tmp_path, TASK_MAX_ATTEMPTS=attempts)
    job_id = queue_export(env)
    first = start_worker(env, tmp_path / "worker1.log")
    try:
        # mid-export: a chunk read and recorded, the temporary folder on disk
        wait_for(
            lambda: job(scratch_db, job_id)["progress"] >= 2000 and partials(tmp_path),
            timeout=180,
            what="the export to be under way",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        stop_process(first)
    assert job(scratch_db, job_id)["status"] == "running"  # as the dead worker left it
    assert partials(tmp_path), "a killed export leaves its temporary folder"

    second = start_worker(env, tmp_path / "worker2.log")
    try:
        wait_for(lambda: job(scratch_db, job_id)["status"] in ("done", "failed"), timeout=240, what="the job to end")
        wait_for(lambda: not partials(tmp_path), timeout=30, what="the debris to go")
    finally:
        stop_process(second)
    log = (tmp_path / "worker2.log").read_text()
    ended, task = job(scratch_db, job_id), export_task(scratch_db)
    assert ended["status"] == outcome, (ended, log)
    if outcome == "done":
        assert "Traceback" not in log
        assert task["status"] == "SUCCESSFUL"
        assert len(task["worker_ids"]) == 2  # the dead worker's attempt, then the new one's
        assert ended["progress"] == ended["total"] > 0
        with zipfile.ZipFile(ended["path"]) as archive:
            assert archive.testzip() is None
            card = json.loads(archive.read("dataset.json"))
            assert sum(1 for _ in archive.open("sentences.jsonl")) == card["counts"]["sentences"] > 0
        assert "running it again" in log
    else:
        assert task["status"] == "FAILED"
        assert len(task["worker_ids"]) == 1
        assert "stopped sending heartbeats during attempt 1 of 1" in ended["error"]
        assert ended["error"].startswith("WorkerLost: worker ")
        assert "WorkerLost: worker " in log
        assert not (tmp_path / "exports" / f"export-{job_id}.zip").exists()
    assert not partials(tmp_path)


def _outage(scratch_db):
    """Make the database unusable for the worker; returns the function that ends the outage.
    SQLite: another connection holds the write lock (longer than the worker's lock timeout).
    PostgreSQL: the database refuses connections and the worker's are cut."""
    if scratch_db.engine == "sqlite":
        holder = scratch_db.connect()
        holder.execute("BEGIN EXCLUSIVE")

        def end():
            holder.execute("ROLLBACK")
            holder.close()

        return end
    name = scratch_db.dsn["dbname"]
    admin = scratch_db.__class__(url="", engine="postgresql", dsn={**scratch_db.dsn, "dbname": "postgres"})
    admin.query(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
    admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ?", (name,))

    def end():
        admin.query(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')

    return end


def test_the_worker_waits_out_a_database_outage_and_carries_on(scratch_db, tmp_path):
    env = worker_env(scratch_db, tmp_path, DB_LOCK_TIMEOUT="0.5")
    log_path = tmp_path / "worker.log"
    worker = start_worker(env, log_path)
    try:
        wait_for(lambda: scratch_db.query("SELECT COUNT(*) FROM config_taskworker")[0][0], timeout=60, what="start")
        end_outage = _outage(scratch_db)
        try:
            # two failed attempts to reach the database, each logged as one line
            wait_for(
                lambda: log_path.read_text().count("database unavailable") >= 2,
                timeout=60,
                what="the worker to notice the outage twice",
            )
            assert worker.poll() is None, log_path.read_text()
        finally:
            end_outage()
        job_id = queue_export(env, fmt="jsonl")
        wait_for(lambda: job(scratch_db, job_id)["status"] == "done", timeout=180, what="a job after the outage")
        assert worker.poll() is None
    finally:
        stop_process(worker)
    log = log_path.read_text()
    assert "Traceback" not in log
    assert "retrying in 1 s" in log  # backing off
    assert "retrying in 2 s" in log


def test_an_idle_worker_on_postgresql_is_woken_by_a_queued_job(scratch_db, tmp_path):
    """The doorbell (config/worker.py): a worker polling every ten minutes, idle at its LISTEN, runs
    an export queued after it went idle well before its next poll (NOTIFY at the enqueue's commit)."""
    if scratch_db.engine != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; on SQLite the worker polls every --interval")
    env = worker_env(scratch_db, tmp_path)
    log_path = tmp_path / "worker.log"
    worker = start_worker(env, log_path, interval="600")
    try:
        listening = "SELECT COUNT(*) FROM pg_stat_activity WHERE query = 'LISTEN sourcemark_tasks'"
        wait_for(lambda: scratch_db.query(listening)[0][0], timeout=60, what="the worker to wait at its doorbell")
        job_id = queue_export(env, fmt="jsonl")
        wait_for(lambda: job(scratch_db, job_id)["status"] == "done", timeout=180, what="the job, woken by NOTIFY")
        assert worker.poll() is None
    finally:
        stop_process(worker)
    assert "Traceback" not in log_path.read_text()


def test_a_second_stop_signal_in_the_same_instant_is_one_graceful_stop(scratch_db, tmp_path):
    """scripts/worker and a process-group signal (Ctrl+C, systemd) both send SIGTERM: the worker
    finishes its task and exits 0 rather than abandoning it."""
    env = worker_env(scratch_db, tmp_path)
    job_id = queue_export(env, fmt="all")
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        wait_for(lambda: job(scratch_db, job_id)["progress"] >= 2000, timeout=180, what="the export to be under way")
        worker.send_signal(signal.SIGTERM)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=240) == 0
    finally:
        stop_process(worker)
    assert job(scratch_db, job_id)["status"] == "done"
    assert scratch_db.query("SELECT COUNT(*) FROM config_taskworker")[0][0] == 0  # unregistered on the way out


def test_worker_start_removes_killed_exports_debris_but_not_live_ones(scratch_db, tmp_path):
    """Temporary files whose writer is gone are removed at worker start; one a live process holds is kept."""
    exports = tmp_path / "exports"
    exports.mkdir()
    dead = exports / ".export-7.zip.host-1.abc.partial"
    dead.mkdir()
    (dead / "sentences.jsonl").write_text("x" * 1000)
    legacy = exports / ".export-8.zip.partial"
    legacy.write_text("half a zip")
    live = exports / ".export-9.zip.host-2.def.partial"
    live.mkdir()
    holder = subprocess.Popen(
        [
            PYTHON,
            "-c",
            "import fcntl, os, sys, time\nfd = os.open(sys.argv[1], os.O_RDONLY)\nfcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\ntime.sleep(600)",
            str(live),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        env = worker_env(scratch_db, tmp_path)
        worker = start_worker(env, tmp_path / "worker.log")
        try:
            wait_for(lambda: not dead.exists() and not legacy.exists(), timeout=60, what="the debris to go")
            assert live.exists()
        finally:
            stop_process(worker)
    finally:
        holder.kill()
        holder.wait()
    assert os.listdir(exports) == [live.name]
