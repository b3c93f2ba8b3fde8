import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from annotate.models import (
    Annotation,
    Article,
    Assignment,
    ExportJob,
    LabelStudioProject,
    LabelStudioTask,
    Outlet,
    Sentence,
    Source,
    SuggestionModel,
)
from reliability.models import ScoreRun, ScoreSnapshot
from reliability.services import recompute_outlet_scores

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_demo_is_idempotent_and_prints_logins():
    out = io.StringIO()
    call_command("demo", "--password", "demo-pw-123", stdout=out)
    call_command("demo", "--password", "demo-pw-123", stdout=out)
    text = out.getvalue()
    assert "lead / demo-pw-123" in text
    assert "reviewer1 / demo-pw-123" in text
    assert "reviewer2 / demo-pw-123" in text
    assert Article.objects.count() == 7
    assert Outlet.objects.count() >= 3
    assert Assignment.objects.count() == 14
    users = get_user_model().objects
    assert users.count() == 3
    lead = users.get(username="lead")
    assert lead.check_password("demo-pw-123")
    assert lead.groups.filter(name="leads").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    [Outlet, Article, Sentence, Source, Annotation, Assignment, ExportJob, LabelStudioProject, LabelStudioTask,
     SuggestionModel, ScoreRun, ScoreSnapshot],
)
def test_admin_pages_render_for_a_lead(client, lead, model):
    call_command("demo", "--password", "demo-pw-123", stdout=io.StringIO())
    recompute_outlet_scores()  # a run with snapshots, so their change pages render too
    lead.is_superuser = True
    lead.save()
    client.force_login(lead)
    meta = model._meta
    response = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    assert response.status_code == 200
    obj = model.objects.first()
    if obj is not None:
        response = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]))
        assert response.status_code == 200


def _manage(*args, env):
    env = {k: v for k, v in env.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set by the browser tests
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_settings_pass_check_deploy():
    env = {k: v for k, v in os.environ.items() if k not in {"SECURE_SSL_REDIRECT", "DEBUG", "STATIC_MANIFEST"}}
    env.update(SECRET_KEY="x" * 60 + "-production-like-key-abcdefghijklmnop", ALLOWED_HOSTS="sourcemark.example.org")
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_health_checks_the_database(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
