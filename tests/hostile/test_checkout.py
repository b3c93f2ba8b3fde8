"""Issue 12 §17, §18, §20 (fixed with the layout change): lint needs no secrets, PostgreSQL test
databases are per run, and a test that cannot find the shared data fails under CI."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

import tests.conftest as root_conftest
from tests.conftest import shared_file

ROOT = Path(__file__).resolve().parents[2]


def test_the_lint_targets_django_commands_need_no_secrets():
    """`make lint` runs in a checkout without .env or SECRET_KEY: its manage.py lines pass so."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)[1]
    commands = [line.strip() for line in recipe.splitlines() if "manage.py" in line]
    assert commands, recipe
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    env["SOURCEMARK_ENV_FILE"] = "/nonexistent/.env"
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    for command in commands:
        command = command.replace(".venv/bin/python", sys.executable)
        result = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
        assert "SECRET_KEY" not in result.stderr


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db
def test_two_postgresql_test_runs_use_their_own_databases():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL run only (scripts/test runs the suite on both)")
    ours = connection.settings_dict["NAME"]
    assert ours.endswith(f"_{os.getpid()}")
    other = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/api/test_throttling.py::test_token_endpoint_issues_the_users_token",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert other.returncode == 0, other.stdout + other.stderr
    assert "1 passed" in other.stdout
    with connection.cursor() as cursor:  # ours is still here and answering
        cursor.execute("SELECT current_database()")
        assert cursor.fetchone()[0] == ours


def test_a_test_without_its_shared_data_fails_under_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setattr(root_conftest, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="CI needs ../shared/"):
        shared_file("no/such/file.txt")
    monkeypatch.setattr(root_conftest, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception):
        shared_file("no/such/file.txt")


def test_no_test_names_an_absolute_path_to_the_shared_data():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("*.py")
        if re.search(r"""["']/(work|home|Users)/[^"']*shared""", path.read_text())
    ]
    assert offenders == []
