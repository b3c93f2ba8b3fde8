"""Start and stop a real Label Studio server for tests (plain functions, no pytest, no Django).

The server runs from its own virtual environment (see ``scripts/labelstudio-env``) because Label
Studio pins its own Django. It listens on a free 127.0.0.1 port, keeps its SQLite database and
media in a temporary data dir, creates a known admin with a known legacy API token, and has every
outside call switched off.

    server = start_server()
    try:
        token = create_personal_access_token(server.url, server.legacy_token)
    finally:
        stop_server(server)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PINNED_VERSION = "1.23.2"

ADMIN_EMAIL = "admin@sourcemark.test"
ADMIN_PASSWORD = "sourcemark-admin-pw"
# Legacy DRF token: any string longer than 5 characters is applied as-is by `label-studio start`.
ADMIN_LEGACY_TOKEN = "sourcemark0legacy0token0000000000000000"


class LabelStudioServerError(RuntimeError):
    """The server could not be started (message includes the tail of its log)."""


@dataclass
class LabelStudioServer:
    url: str
    email: str
    password: str
    legacy_token: str
    pid: int
    data_dir: Path
    log_path: Path
    startup_seconds: float
    personal_access_token: str | None = None
    _owns_data_dir: bool = field(default=False, repr=False)
    _log_file: object = field(default=None, repr=False)
    _process: subprocess.Popen | None = field(default=None, repr=False)


def venv_dir() -> Path:
    """The server venv: $LABEL_STUDIO_VENV (relative to the repo root) or .cache/labelstudio-venv."""
    path = Path(os.environ.get("LABEL_STUDIO_VENV") or ".cache/labelstudio-venv")
    return path if path.is_absolute() else REPO_ROOT / path


def label_studio_executable(venv: Path | None = None) -> Path:
    return (venv or venv_dir()) / "bin" / "label-studio"


def server_env_available(venv: Path | None = None) -> bool:
    return os.access(label_studio_executable(venv), os.X_OK)


def template_db_path(venv: Path | None, email: str, password: str, token: str) -> Path:
    """A migrated SQLite database (with the admin) kept inside the server venv, so that it is thrown
    away whenever scripts/labelstudio-env rebuilds the venv. Copying it skips ~20 s of migrations."""
    key = hashlib.sha256(f"{PINNED_VERSION}|{email}|{password}|{token}".encode()).hexdigest()[:12]
    return (venv or venv_dir()) / f".sourcemark-template-{key}.sqlite3"


def _snapshot_sqlite(source: Path, target: Path) -> None:
    """Consistent copy of a live SQLite database (backup API), written atomically."""
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    src, dst = sqlite3.connect(source), sqlite3.connect(partial)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    os.replace(partial, target)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Only these variables of ours reach the server: Label Studio reads many generic names (HOST, PORT,
# DEBUG, SECRET_KEY, USERNAME, PASSWORD, DJANGO_SETTINGS_MODULE, ...) that our own project or CI may set.
_PASSTHROUGH_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "SSL_CERT_FILE")


def server_environment(data_dir: Path, email: str, password: str, token: str) -> dict[str, str]:
    env = {k: os.environ[k] for k in _PASSTHROUGH_ENV if k in os.environ}
    env.update(
        {
            "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
            "LABEL_STUDIO_USERNAME": email,
            "LABEL_STUDIO_PASSWORD": password,
            "LABEL_STUDIO_USER_TOKEN": token,
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
            "DJANGO_DB": "sqlite",
            # Nothing phones home.
            "SENTRY_DSN": "",
            "FRONTEND_SENTRY_DSN": "",
            "LATEST_VERSION_CHECK": "false",
            "COLLECT_ANALYTICS": "false",
            "FEATURE_FLAGS_OFFLINE": "true",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _log_tail(log_path: Path, lines: int = 40) -> str:
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def wait_for_health(
    url: str, timeout: float, process: subprocess.Popen | None = None, log_path: Path | None = None
) -> None:
    """Poll GET {url}/health until it answers 200; raise LabelStudioServerError with the log tail."""
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise LabelStudioServerError(
                f"Label Studio exited with code {process.returncode} before {url}/health answered.\n"
                f"--- tail of {log_path} ---\n{_log_tail(log_path) if log_path else ''}"
            )
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
                if resp.status == 200:
                    return
                last_error = f"HTTP {resp.status}"
        except (urllib.error.URLError, OSError) as exc:
            last_error = str(exc)
        time.sleep(0.5)
    raise LabelStudioServerError(
        f"Label Studio did not answer {url}/health within {timeout:.0f}s (last: {last_error}).\n"
        f"--- tail of {log_path} ---\n{_log_tail(log_path) if log_path else ''}"
    )


def start_server(
    venv: Path | None = None,
    data_dir: Path | None = None,
    email: str = ADMIN_EMAIL,
    password: str = ADMIN_PASSWORD,
    legacy_token: str = ADMIN_LEGACY_TOKEN,
    timeout: float = 240.0,
    use_template: bool = True,
) -> LabelStudioServer:
    """Start `label-studio start` on a free 127.0.0.1 port and wait until /health answers.

    A start on an empty data dir runs all migrations on SQLite (~20 s on 2 cores); a start on a
    migrated database takes ~3 s. With `use_template`, the first start saves its freshly migrated
    database next to the venv and later starts on a new temp data dir begin from a copy of it."""
    executable = label_studio_executable(venv)
    if not os.access(executable, os.X_OK):
        raise LabelStudioServerError(f"{executable} not found: run scripts/labelstudio-env first")
    owns = data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="sourcemark-ls-")) if owns else Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    database = data_dir / "label_studio.sqlite3"
    template = template_db_path(venv, email, password, legacy_token)
    from_template = use_template and not database.exists() and template.exists()
    if from_template:
        shutil.copyfile(template, database)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = data_dir / "server.log"
    log_file = open(log_path, "ab")  # noqa: SIM115 - closed in stop_server
    cmd = [
        str(executable),
        "start",
        "--no-browser",
        "--internal-host",
        "127.0.0.1",
        "--port",
        str(port),
        "--host",
        url,
        "--data-dir",
        str(data_dir),
        "--enable-legacy-api-token",
    ]
    started = time.monotonic()
    process = subprocess.Popen(
        cmd,
        cwd=data_dir,
        env=server_environment(data_dir, email, password, legacy_token),
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # own process group, so stop_server can signal the whole tree
    )
    server = LabelStudioServer(
        url=url,
        email=email,
        password=password,
        legacy_token=legacy_token,
        pid=process.pid,
        data_dir=data_dir,
        log_path=log_path,
        startup_seconds=0.0,
        _owns_data_dir=owns,
        _log_file=log_file,
        _process=process,
    )
    try:
        wait_for_health(url, timeout, process, log_path)
    except BaseException:
        stop_server(server, remove_data=False)
        raise
    server.startup_seconds = time.monotonic() - started
    if use_template and not from_template and not template.exists() and database.exists():
        with contextlib.suppress(OSError, sqlite3.Error):  # only a speed-up
            _snapshot_sqlite(database, template)
    return server


def stop_server(server: LabelStudioServer, timeout: float = 15.0, remove_data: bool = True) -> None:
    """SIGTERM the server's process group, SIGKILL after `timeout`, then remove its temp data dir."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server._process is not None and server._process.poll() is not None:
            break
        if server._process is None and not _pid_alive(server.pid):
            break
        time.sleep(0.1)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        if server._process is not None:
            server._process.wait(5)
    # Children left in the group (none expected) are killed too.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    if server._log_file is not None:
        server._log_file.close()
    if remove_data and server._owns_data_dir:
        shutil.rmtree(server.data_dir, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _api(url: str, method: str, path: str, auth: str, body: dict | None = None) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{url}{path}",
        data=data,
        method=method,
        headers={
            "Authorization": auth,
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def create_personal_access_token(url: str, legacy_token: str) -> str:
    """Create a JWT personal access token (PAT) for the user that owns `legacy_token`.

    LS 1.23: `POST /api/token/` (SDK: `LabelStudio(...).tokens.create().token`) returns
    {"token": "<JWT refresh token>"}. It needs the organization's JWT setting `api_tokens_enabled`
    (`GET/POST /api/jwt/settings`, SDK `ls.jwt_settings`), which is on by default; we switch it on
    if it is off. A user holds at most one live PAT: a second create answers HTTP 409."""
    auth = f"Token {legacy_token}"
    status, settings = _api(url, "GET", "/api/jwt/settings", auth)
    if status == 200 and isinstance(settings, dict) and not settings.get("api_tokens_enabled", True):
        settings["api_tokens_enabled"] = True
        _api(url, "POST", "/api/jwt/settings", auth, settings)
    status, payload = _api(url, "POST", "/api/token/", auth, {})
    if status not in (200, 201) or not isinstance(payload, dict) or "token" not in payload:
        raise LabelStudioServerError(f"could not create a personal access token: HTTP {status}: {payload}")
    return payload["token"]


def create_user(url: str, admin_token: str, email: str, password: str) -> dict:
    """Add a second Label Studio user the way a person would, and return {id, email, legacy_token}.

    `ls.users.create(...)` makes a user but ignores `password`, so that user can never log in. Instead:
    the admin reads the organization's invite token (`GET /api/invite`), the new user signs up at
    `/user/signup/?token=...` (a session), then reads their own legacy token from
    `GET /api/current-user/token`, as they would copy it from their Account page."""
    import http.cookiejar
    import urllib.parse

    status, invite = _api(url, "GET", "/api/invite", f"Token {admin_token}")
    if status != 200 or not isinstance(invite, dict):
        raise LabelStudioServerError(f"could not read the invite token: HTTP {status}: {invite}")
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    signup = f"{url}/user/signup/?token={invite['token']}"
    opener.open(signup, timeout=30).read()
    csrf = next((c.value for c in jar if c.name == "csrftoken"), "")
    form = urllib.parse.urlencode({"email": email, "password": password, "csrfmiddlewaretoken": csrf}).encode()
    opener.open(urllib.request.Request(signup, data=form, headers={"Referer": signup}), timeout=30).read()
    try:
        with opener.open(f"{url}/api/current-user/token", timeout=30) as resp:
            token = json.loads(resp.read())["token"]
        with opener.open(f"{url}/api/current-user/whoami", timeout=30) as resp:
            user_id = json.loads(resp.read())["id"]
    except urllib.error.HTTPError as exc:
        raise LabelStudioServerError(f"sign-up of {email} failed (HTTP {exc.code} afterwards)") from exc
    return {"id": user_id, "email": email, "legacy_token": token}


if __name__ == "__main__":  # manual check: python tests/labelstudio/server.py
    srv = start_server()
    try:
        pat = create_personal_access_token(srv.url, srv.legacy_token)
        print(f"up at {srv.url} in {srv.startup_seconds:.1f}s; log {srv.log_path}")
        print(f"legacy token {srv.legacy_token}\nPAT {pat[:40]}...")
        if os.environ.get("HOLD"):
            input("press Enter to stop")
    finally:
        stop_server(srv)
