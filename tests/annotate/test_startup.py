"""Start-up stays light: the web app and the ingest command never import scipy (issue 17)."""

import os
import subprocess
import sys

from django.conf import settings


def test_loading_every_url_and_the_ingest_command_imports_no_scipy():
    code = (
        "import django, re, sys; django.setup()\n"
        "from django.urls import get_resolver; get_resolver().url_patterns\n"
        "from django.core.management import load_command_class; load_command_class('annotate', 'ingest')\n"
        "import annotate.sentences\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'sklearn')), re._MAXCACHE)\n"
    )
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": settings.SECRET_KEY}
    env.update({key: os.environ[key] for key in ("DATABASE_URL", "SOURCEMARK_VAR_DIR") if key in os.environ})
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "512"], out.stdout + out.stderr
