"""What a process pays at start-up: Django's set-up (every app's models, admin and ready hooks) and
loading the export command import none of the heavy libraries. numpy, scipy, scikit-learn and
label-studio-sdk are imported where they compute something (issue 17: importing scipy.stats was a
quarter of a 20,000-sentence export and lowered Python's regex cache for the sentence splitter)."""

import json
import os
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
