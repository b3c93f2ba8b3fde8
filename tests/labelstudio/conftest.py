"""A real Label Studio server for the tests in this folder (one per test session).

The server runs from its own venv (scripts/labelstudio-env). Without that venv the tests skip,
except under CI=true, where a missing server is a failure.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

# Loaded by path under a unique name: this folder is not a package and "server" is too generic a
# module name to put on sys.path.
_spec = importlib.util.spec_from_file_location("sourcemark_ls_server", Path(__file__).with_name("server.py"))
ls_server = importlib.util.module_from_spec(_spec)
sys.modules["sourcemark_ls_server"] = ls_server
_spec.loader.exec_module(ls_server)


@pytest.fixture(scope="session")
def labelstudio_server(request):
    """Yield a running server: .url .email .password .legacy_token .personal_access_token
    (also .startup_seconds, .data_dir, .log_path, .pid)."""
    if not ls_server.server_env_available():
        message = (
            f"Label Studio server venv not found at {ls_server.venv_dir()}: "
            "run scripts/labelstudio-env (or set LABEL_STUDIO_VENV) to run the Label Studio tests"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: these tests must run)", pytrace=False)
        pytest.skip(message)
    server = ls_server.start_server()
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is not None and reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                f"\nLabel Studio {ls_server.PINNED_VERSION} up at {server.url} in {server.startup_seconds:.1f}s"
            )
    try:
        server.personal_access_token = ls_server.create_personal_access_token(server.url, server.legacy_token)
        yield server
    finally:
        ls_server.stop_server(server)
