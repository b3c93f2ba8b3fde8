"""What a process pays at start-up: Django's set-up (every app's models, admin and ready hooks) and
loading the export command import none of the heavy libraries. numpy, scipy, scikit-learn and
label-studio-sdk are imported where they compute something (issue 17: importing scipy.stats was a
quarter of a 20,000-sentence export and lowered Python's regex cache for the sentence splitter)."""

import importlib.util
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "numpy",
    "scipy",
    "sklearn",
    "label_studio_sdk",
    "jinja2",
    "django.test",
    "drf_spectacular.plumbing",
    "suggestions.attribution",  # the attribution finder compiles its patterns on import (~40 ms)
    "annotate.ingest",  # the sentence splitter and DRF's parsers (requests): ~170 ms, 18 MB in an export
)

PROBE = """
import json, sys
import django
django.setup()
from django.core.management import load_command_class
load_command_class("datasets", "export")
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {heavy} or name in {names})))
"""


def test_setup_and_the_export_command_import_no_heavy_library(tmp_path):
    tops = {name.split(".")[0] for name in HEAVY if "." not in name}
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'startup.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=repr(tops), names=repr(set(HEAVY)))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_scripts_compile_writes_every_app_module_bytecode_even_where_python_would_not():
    """scripts/serve and scripts/bootstrap run scripts/compile, so that processes started with
    PYTHONDONTWRITEBYTECODE set (as on this machine) load the app's .pyc instead of compiling it."""
    modules = sorted(
        path for path in ROOT.glob("*/**/*.py") if (ROOT / path.relative_to(ROOT).parts[0] / "__init__.py").exists()
    )
    assert len(modules) > 100
    first = modules[0]
    Path(importlib.util.cache_from_source(str(first))).unlink(missing_ok=True)

    env = {**os.environ, "PYTHON": sys.executable, "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run([str(ROOT / "scripts" / "compile")], env=env, check=True, timeout=300)

    stale = []
    for source in modules:
        cached = Path(importlib.util.cache_from_source(str(source)))
        header = cached.read_bytes()[:16] if cached.exists() else b""
        stat = source.stat()
        if header[8:16] != struct.pack("<II", int(stat.st_mtime) & 0xFFFFFFFF, stat.st_size & 0xFFFFFFFF):
            stale.append(str(source.relative_to(ROOT)))
    assert stale == []
