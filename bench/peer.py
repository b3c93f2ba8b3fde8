"""Side by side with doccano 1.8.4 (issue 17): the harness in ../shared/peerbench, driven with this
checkout. For each repeat and database, doccano and Sourcemark run back to back on fresh instances
(the order alternates per repeat); the table gives medians [min-max] and the ratio of medians.

    .venv/bin/python bench/peer.py                       # N=20,000, 3 repeats, SQLite and PostgreSQL
    .venv/bin/python bench/peer.py --n 1000 --repeats 1 --dbs sqlite     # a quick look
    .venv/bin/python bench/peer.py --table                # print the table of what is already measured
    .venv/bin/python bench/peer.py --sourcemark ../other-checkout --label before   # another version too
    .venv/bin/python bench/peer.py --phases label --work /tmp/peerwork/label   # label saves, quickly

`--phases label` measures what the label-save rows need, side by side, in about a third of the time:
Sourcemark skips both API ingest phases (the CLI ingest, which the writes need, stays), doccano runs
its whole (short) script; the table shows the label rows only. Use its own `--work` (results are
kept per work directory); point PEER_VENV at an installed doccano venv to skip the install.

Sourcemark is measured by the harness's smbench.py (CLI ingest, one POST per article, label writes,
list pages, CLI and API export, memory) plus one phase of ours: the same articles through
POST /api/v1/articles/batch/ (`--per-request` articles each). Background work is kept out of the
measured windows: the harness defers the score recompute, and this script turns off the claims match
after ingest (CLAIMS_AUTO_MATCH=false; on these synthetic sentences it runs for minutes). doccano is
installed on first use by ../shared/peerbench/install.sh (Python 3.10 from pyenv, pinned constraints)
into WORK/peer-doccano.
Results: WORK/out/{doccano,<label>}/result_<db>-r<i>_n<N>.json; a run skips what it already has
(delete WORK/out to measure again). Machine noise moves absolute figures a lot: read the ratios.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from importlib import import_module
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HARNESS = Path(os.environ.get("PEERBENCH_HARNESS", ROOT.parent / "shared" / "peerbench"))
SEED = 20240601
PORTS = {"doccano": 8191, "sourcemark": 8193, "doccano_pg": 5497, "sourcemark_pg": 5498}
# Sourcemark's background work that the measured windows leave out (see sm_run)
BACKGROUND_OFF = {"CLAIMS_AUTO_MATCH": "false"}


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


# --- set-up ---------------------------------------------------------------------------------------


def ensure_doccano(work: Path) -> Path:
    venv = Path(os.environ.get("PEER_VENV", work / "peer-doccano"))
    if not (venv / "bin" / "doccano").exists():
        log(f"installing doccano 1.8.4 into {venv} (../shared/peerbench/install.sh)")
        subprocess.run([str(HARNESS / "install.sh")], env={**os.environ, "PEER_VENV": str(venv)}, check=True)
    return venv


def ensure_data(work: Path, n: int) -> None:
    data = work / "data"
    data.mkdir(parents=True, exist_ok=True)
    doccano_file = data / f"dataset_n{n}_seed{SEED}.jsonl"
    if not doccano_file.exists():
        sys.path.insert(0, str(HARNESS))
        harness: Any = import_module("bench")  # the harness's own generator (byte-identical data), not our bench/

        harness.write_dataset(str(doccano_file), n, SEED)
    if not (data / f"sm_n{n}.jsonl").exists():
        subprocess.run(
            [sys.executable, str(HARNESS / "make_sm_dataset.py"), str(doccano_file), str(data / f"sm_n{n}.jsonl")],
            check=True,
            stdout=subprocess.DEVNULL,
        )


# --- one run of each system -------------------------------------------------------------------------


def run_doccano(work: Path, venv: Path, db: str, n: int, k: int, tag: str) -> None:
    out = work / "out" / "doccano"
    if (out / f"result_{tag}_n{n}.json").exists():
        log(f"doccano {tag} n={n}: have it")
        return
    out.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PEER_VENV": str(venv),
        "PEER_RUN_DIR": str(work / "doccano-run"),
        "PEER_OUT_DIR": str(out),
        "PEER_PORT": str(PORTS["doccano"]),
        "PEER_BASE_URL": f"http://127.0.0.1:{PORTS['doccano']}",
        "PEER_DB": db,
        "PEER_PG_PORT": str(PORTS["doccano_pg"]),
        "PEER_PG_DIR": str(work / "pg-doccano"),
    }
    if db == "pg":
        subprocess.run([str(HARNESS / "pg_start.sh")], env=env, check=True, stdout=subprocess.DEVNULL)
        env["PEER_PG_PIDFILE"] = str(work / "pg-doccano" / "data" / "postmaster.pid")
    try:
        for attempt in (1, 2):
            # doccano's Celery worker sometimes dies at start on PostgreSQL (two processes create
            # kombu's queue_id_sequence at once); start.sh then polls /v1/health/, which waits on
            # Celery, without a time limit. Give up after 240 s and start again.
            try:
                started = subprocess.run(
                    [str(HARNESS / "start.sh")], env=env, capture_output=True, text=True, cwd=work, timeout=240
                )
                failed = started.returncode != 0
                why = f"{started.stdout[-300:]} {started.stderr[-300:]}"
            except subprocess.TimeoutExpired:
                failed, why = True, "no answer within 240 s"
            if not failed:
                break
            log(f"doccano start attempt {attempt} failed: {why}")
            subprocess.run([str(HARNESS / "stop.sh")], env=env, capture_output=True, cwd=work)
        else:
            return
        began = time.perf_counter()
        with open(out / f"bench_{tag}_n{n}.log", "w") as logfile:
            done = subprocess.run(
                [str(venv / "bin" / "python"), __file__, "--doccano-run", "--n", str(n), "--k", str(k), "--tag", tag],
                env=env, stdout=logfile, stderr=subprocess.STDOUT, cwd=work,
            )  # fmt: skip
        log(f"doccano {tag} n={n}: rc={done.returncode} in {time.perf_counter() - began:.0f} s")
    finally:
        subprocess.run([str(HARNESS / "stop.sh")], env=env, capture_output=True, cwd=work)
        for leftover in out.glob("export_*.zip"):
            leftover.unlink()
        for leftover in out.glob("dataset_n*.jsonl"):
            leftover.unlink()
        if db == "pg":
            subprocess.run([str(HARNESS / "pg_stop.sh")], env=env, capture_output=True)


def run_sourcemark(
    work: Path, checkout: Path, label: str, db: str, n: int, k: int, tag: str, per_request: int, phases: str = "all"
):
    out = work / "out" / label
    if (out / f"result_{tag}_n{n}.json").exists():
        log(f"{label} {tag} n={n}: have it")
        return
    out.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "SM_DIR": str(checkout),
        "SM_RUN_DIR": str(work / f"{label}-run"),
        "SM_OUT_DIR": str(out),
        "SM_PORT": str(PORTS["sourcemark"]),
        "SM_PG_DIR": str(work / "pg-sm"),
        "SM_PG_PORT": str(PORTS["sourcemark_pg"]),
        "PERF_DATA_DIR": str(work / "data"),
        "PEER_PG_DIR": str(work / "pg-sm"),
        "PEER_PG_PORT": str(PORTS["sourcemark_pg"]),
    }
    if db == "pg":
        subprocess.run([str(HARNESS / "pg_start.sh")], env=env, check=True, stdout=subprocess.DEVNULL)
        # pg_start.sh makes the superuser `doccano`; smbench connects as `sourcemark`
        subprocess.run(
            ["createuser", "-h", "127.0.0.1", "-p", str(PORTS["sourcemark_pg"]), "-U", "doccano", "-s", "sourcemark"],
            check=True,
        )
    try:
        began = time.perf_counter()
        with open(out / f"bench_{tag}_n{n}.log", "w") as logfile:
            done = subprocess.run(
                [sys.executable, __file__, "--sm-run", "--n", str(n), "--k", str(k), "--db", db, "--tag", tag,
                 "--per-request", str(per_request), "--phases", phases],
                env=env, stdout=logfile, stderr=subprocess.STDOUT,
            )  # fmt: skip
        log(f"{label} {tag} n={n}: rc={done.returncode} in {time.perf_counter() - began:.0f} s")
    finally:
        if db == "pg":
            subprocess.run([str(HARNESS / "pg_stop.sh")], env=env, capture_output=True)
        shutil.rmtree(work / f"{label}-run" / "var", ignore_errors=True)


def cpu_snapshot(roots: dict) -> dict:
    """CPU seconds (user + system, with reaped children) of each process tree, from /proc."""
    harness: Any = import_module("bench")  # the harness's: its process-tree walk

    tick = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for name, root in roots.items():
        total = 0
        for pid in harness.tree(root):
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
        seconds[name] = total / tick
    return seconds


def cpu_delta(before: dict, after: dict) -> dict:
    return {name: round(after.get(name, 0) - before.get(name, 0), 2) for name in before}


def doccano_run(args) -> None:
    """Inside the doccano run (doccano's venv): the harness's bench.py, plus the CPU of the server
    trees during import and export, which it does not record."""
    sys.path.insert(0, str(HARNESS))
    harness: Any = import_module("bench")  # the harness's (on sys.path above), not our bench/

    marks, original_req, original_wait = [], harness.Client.req, harness.Client.wait_task

    def roots():
        found = {name: harness.read_pid(name) for name in ("webserver", "worker")}
        if os.environ.get("PEER_PG_PIDFILE") and os.path.exists(os.environ["PEER_PG_PIDFILE"]):
            with open(os.environ["PEER_PG_PIDFILE"]) as pidfile:
                found["postgres"] = int(pidfile.readline())
        return {name: pid for name, pid in found.items() if pid}

    def req(self, method, path, **kw):
        if method == "POST" and (path == "/v1/fp/process/" or path.endswith("/download")):
            marks.append(("start", cpu_snapshot(roots())))
        answer = original_req(self, method, path, **kw)
        if method == "GET" and path.endswith("/download") and "params" in kw:
            marks.append(("end", cpu_snapshot(roots())))
        return answer

    def wait_task(self, task_id, timeout=3600):
        answer = original_wait(self, task_id, timeout)
        if len(marks) == 1:  # the import task is done
            marks.append(("end", cpu_snapshot(roots())))
        return answer

    harness.Client.req, harness.Client.wait_task = req, wait_task
    res, path = harness.run(args.n, args.k, SEED, args.tag)
    snapshots = [snapshot for _, snapshot in marks]
    if len(snapshots) >= 4:
        res["import"]["cpu_s"] = cpu_delta(snapshots[0], snapshots[1])
        res["export"]["cpu_s"] = cpu_delta(snapshots[2], snapshots[3])
    with open(path, "w") as out:
        json.dump(res, out, indent=2)
    print("result:", path)


def sm_run(args) -> None:
    """Inside the Sourcemark run: the harness's smbench.py, plus the batch-API phase."""
    sys.path.insert(0, str(HARNESS))
    smbench: Any = import_module("smbench")

    harness: Any = import_module("bench")  # the harness's (on sys.path above), not our bench/

    if not hasattr(harness, "cpu_snapshot"):  # smbench expects these from its bench.py; this copy lacks them
        harness.cpu_snapshot, harness.cpu_delta = cpu_snapshot, cpu_delta

    harness_env = smbench.sm_env

    def sm_env(db):
        # The claims match that follows an ingest is background work, like the score recompute the
        # harness keeps out of the measured window (SCORES_RECOMPUTE_DELAY): on these synthetic
        # sentences it runs for minutes and, on SQLite, holds the write lock meanwhile. Off here;
        # the README's performance section says so.
        return {**harness_env(db), **BACKGROUND_OFF}

    smbench.sm_env = sm_env

    def phase_api_batch(db, n, res, articles):
        env = smbench.sm_env(db)
        smbench.reset_db(db)
        server = smbench.Server(env, "A2")
        try:
            res["phaseA2_start"] = server.start()
            smbench.manage(env, "shell", "-c", smbench.SETUP_USERS)
            roots = smbench.roots_of(server, db)
            lead = smbench.Client("lead")
            lead.login()
            probe = lead.req("POST", "/api/v1/articles/batch/", ok=(200, 201, 400, 404, 405), json={"articles": []})
            if probe.status_code in (404, 405):
                res["api_batch_ingest"] = {"unavailable": f"POST /api/v1/articles/batch/ -> {probe.status_code}"}
                return
            fields = ("text", "outlet", "url", "title", "published")
            cpu0 = harness.cpu_snapshot(roots)
            latencies, stored, created = [], 0, 0
            began = time.perf_counter()
            for first in range(0, len(articles), args.per_request):
                body = {
                    "articles": [
                        {key: rec[key] for key in fields} for rec in articles[first : first + args.per_request]
                    ]
                }
                sent = time.perf_counter()
                answer = lead.req("POST", "/api/v1/articles/batch/", json=body).json()
                latencies.append(time.perf_counter() - sent)
                stored += answer["sentences"]
                created += answer["added"]
            wall = time.perf_counter() - began
            res["api_batch_ingest"] = {
                "articles": len(articles), "articles_per_request": args.per_request, "created": created,
                "sentences_stored": stored, "total_s": round(wall, 3), "input_sentences_per_s": round(n / wall, 1),
                "stored_sentences_per_s": round(stored / wall, 1), **smbench.lat_stats(latencies),
                "cpu_s": harness.cpu_delta(cpu0, harness.cpu_snapshot(roots)),
            }  # fmt: skip
            smbench.log(f"API batch ingest: {created} articles, {stored} sentences in {wall:.1f}s")
        finally:
            server.stop()

    per_article = smbench.phase_api_ingest

    def both_api_phases(db, n, res, articles):
        per_article(db, n, res, articles)
        phase_api_batch(db, n, res, articles)

    smbench.phase_api_ingest = both_api_phases
    sys.argv = [smbench.__file__, "--n", str(args.n), "--k", str(args.k), "--db", args.db, "--tag", args.tag]
    if args.phases == "label":
        sys.argv.append("--skip-api-ingest")  # (both API ingest phases; the CLI ingest stays)
    smbench.main()


# --- the table --------------------------------------------------------------------------------------


def table(work: Path, n: int, dbs: list[str], labels: list[str], only: str = "") -> str:
    sys.path.insert(0, str(HARNESS))
    sbs: Any = import_module("side_by_side")  # (the harness's own metrics and formatting)

    def rows():
        for label, doccano, ours, digits in sbs.metrics(n):
            yield label, doccano, ours, digits
            if label.startswith("import via API: CPU"):
                yield (
                    "import via API, batches (SM: POST /api/v1/articles/batch/): wall s",
                    lambda r: sbs.get(r, "import.total_s"), lambda r: sbs.get(r, "api_batch_ingest.total_s"), 2,
                )  # fmt: skip
                yield (
                    "import via API, batches: input sentences/s",
                    lambda r: n / sbs.get(r, "import.total_s"),
                    lambda r: sbs.get(r, "api_batch_ingest.input_sentences_per_s"),
                    0,
                )
                yield (
                    "import via API, batches: CPU s, server trees + PG",
                    lambda r: sbs.cpu_sum(sbs.get(r, "import.cpu_s")),
                    lambda r: sbs.cpu_sum(sbs.get(r, "api_batch_ingest.cpu_s")),
                    1,
                )

    def value(function, run):
        try:
            return function(run)
        except (TypeError, KeyError, ZeroDivisionError):
            return None

    lines = []
    for db in dbs:
        doccano = sbs.load(str(work / "out"), "doccano", db, n)
        runs = {label: sbs.load(str(work / "out"), label, db, n) for label in labels}
        if not doccano and not any(runs.values()):
            continue
        counts = ", ".join(f"{label} x{len(found)}" for label, found in runs.items())
        lines += [
            f"\n### {db}, N = {n:,}: doccano x{len(doccano)}, {counts} (median [min–max]; ratio = ours / doccano)\n",
            "| metric | doccano 1.8.4 | "
            + " | ".join(labels)
            + " | "
            + " | ".join(f"ratio {x}" for x in labels)
            + " |",
            "|---" * (2 + 2 * len(labels)) + "|",
        ]
        for label, doccano_value, our_value, digits in rows():
            if not label.startswith(only):
                continue
            shown, doccano_median = sbs.fmt([value(doccano_value, r) for r in doccano], digits)
            if label.startswith("SM "):
                shown, doccano_median = "-", None
            cells, ratios = [], []
            for name in labels:
                ours, median = sbs.fmt([value(our_value, r) for r in runs[name]], digits)
                cells.append(ours)
                ratios.append(sbs.ratio(median, doccano_median))
            lines.append(f"| {label} | {shown} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--k", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dbs", default="sqlite pg")
    parser.add_argument("--work", default=os.environ.get("PEERBENCH_WORK", "/tmp/peerbench"))
    parser.add_argument("--sourcemark", default=str(ROOT), help="the Sourcemark checkout to measure (this one)")
    parser.add_argument("--label", default="sm", help="name of its results (out/<label>/)")
    parser.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="LABEL=PATH",
        help="another Sourcemark checkout (with its .venv) to measure in the same interleaved runs",
    )
    parser.add_argument("--compare", default="", help="other labels already measured, shown beside it")
    parser.add_argument("--per-request", type=int, default=200, help="articles per batch request")
    parser.add_argument(
        "--phases", choices=["all", "label"], default="all", help="label: only what the label-save rows need"
    )
    parser.add_argument("--table", action="store_true", help="only print the table")
    parser.add_argument("--sm-run", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--doccano-run", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--tag", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sm_run:
        sm_run(args)
        return
    if args.doccano_run:
        doccano_run(args)
        return
    work, dbs = Path(args.work), args.dbs.split()
    checkouts = {args.label: Path(args.sourcemark).resolve()}
    for also in args.also:
        label, _, path = also.partition("=")
        checkouts[label] = Path(path).resolve()
    labels = [*checkouts, *args.compare.split()]
    if not args.table:
        busy = [port for port in PORTS.values() if not port_free(port)]
        if busy:
            sys.exit(f"ports in use: {busy} (another run of the harness?)")
        venv = ensure_doccano(work)
        ensure_data(work, args.n)
        for repeat in range(1, args.repeats + 1):
            for db in dbs:
                tag = f"{db}-r{repeat}"
                load = os.getloadavg()[0]
                log(f"=== N={args.n} {db} repeat {repeat} (load {load:.1f})")
                steps = ["doccano", *checkouts]
                shift = (repeat - 1) % len(steps)  # each system goes first in turn
                for step in steps[shift:] + steps[:shift]:
                    if step == "doccano":
                        run_doccano(work, venv, db, args.n, args.k, tag)
                    else:
                        run_sourcemark(
                            work, checkouts[step], step, db, args.n, args.k, tag, args.per_request, args.phases
                        )
    print(table(work, args.n, dbs, labels, only="label" if args.phases == "label" else ""))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the finally blocks: stop servers, clusters
    main()
