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
    AnnotationRevision,
    Article,
    Assignment,
    Outlet,
    Sentence,
    Source,
)
from datasets.models import ExportJob
from labelstudio.models import LabelStudioProject, LabelStudioTask
from reliability.models import ScoreRun, ScoreSnapshot
from reliability.services import recompute_outlet_scores
from suggestions.models import SuggestionModel

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
    assert Article.objects.count() == 24
    assert {outlet.domain: outlet.articles.count() for outlet in Outlet.objects.all()} == {
        "news.sky.com": 5,
        "reuters.com": 5,
        "aljazeera.com": 5,
        "bbc.co.uk": 5,
        "levantdigest.example": 4,
    }
    assert Assignment.objects.count() == 48
    assert not Annotation.objects.exists()
    users = get_user_model().objects
    assert users.count() == 3
    lead = users.get(username="lead")
    assert lead.check_password("demo-pw-123")
    assert lead.groups.filter(name="leads").exists()


@pytest.mark.django_db
def test_demo_with_marks_simulates_two_annotators_with_some_disputes():
    out = io.StringIO()
    call_command("demo", "--password", "demo-pw-123", "--with-marks", stdout=out)
    assert "Simulated marks: " in out.getvalue()
    annotators = list(get_user_model().objects.filter(username__in=["demo-annotator-a", "demo-annotator-b"]))
    assert len(annotators) == 2
    for user in annotators:
        assert not user.has_usable_password()
        assert user.reviewer.is_external
        assert user.reviewer.origin == "demo"
        assert Assignment.objects.filter(reviewer=user, submitted_at__isnull=False).count() == 24

    reviewable = Sentence.objects.filter(reviewable=True)
    marks = Annotation.objects.filter(reviewer__in=annotators)
    assert marks.count() == 2 * reviewable.count()
    assert not reviewable.exclude(annotations__reviewer=annotators[0]).exists()
    assert not reviewable.exclude(annotations__reviewer=annotators[1]).exists()
    assert not marks.exclude(origin="import").exists()
    assert not marks.exclude(note="simulated demo mark").exists()
    assert not marks.filter(label="attribution", source__isnull=True).exists()
    labels: dict[int, set[str]] = {}
    for sentence_id, label in marks.values_list("sentence_id", "label"):
        labels.setdefault(sentence_id, set()).add(label)
    disputed = sum(len(found) > 1 for found in labels.values())
    assert 0 < disputed < 0.2 * len(labels)
    # the human demo reviewers keep their queues unmarked
    assert not Annotation.objects.exclude(reviewer__in=annotators).exists()

    revisions = AnnotationRevision.objects.count()
    sources = Source.objects.count()
    again = io.StringIO()
    call_command("demo", "--password", "demo-pw-123", "--with-marks", stdout=again)
    assert "0 mark(s) added" in again.getvalue()
    assert AnnotationRevision.objects.count() == revisions
    assert Source.objects.count() == sources
    assert Assignment.objects.count() == 96

    call_command("scores", "--recompute", stdout=io.StringIO())
    run = ScoreRun.objects.latest("pk")
    snapshots = {snapshot.outlet.domain: snapshot for snapshot in run.snapshots.select_related("outlet")}
    assert set(snapshots) == {"news.sky.com", "reuters.com", "aljazeera.com", "bbc.co.uk", "levantdigest.example"}
    assert snapshots.pop("levantdigest.example").insufficient_evidence  # 4 articles: below the minimum of 5
    for snapshot in snapshots.values():
        assert not snapshot.insufficient_evidence
        assert snapshot.score_low < snapshot.score < snapshot.score_high
    # the demo's outlets score differently (how many round alike depends on the suggestion model)
    assert len({round(snapshot.score, 1) for snapshot in snapshots.values()}) >= 3
    assert snapshots["news.sky.com"].score < snapshots["reuters.com"].score
    assert snapshots["news.sky.com"].alpha < 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    [
        Outlet,
        Article,
        Sentence,
        Source,
        Annotation,
        Assignment,
        ExportJob,
        LabelStudioProject,
        LabelStudioTask,
        SuggestionModel,
        ScoreRun,
        ScoreSnapshot,
    ],
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
    env.setdefault("SOURCEMARK_ENV_FILE", "/nonexistent/.env")  # a developer's .env must not leak in
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


def test_env_file_supplies_values_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("# a developer's file\nDEBUG=true\n")
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env["SOURCEMARK_ENV_FILE"] = str(env_file)
    assert _manage("check", env=env).returncode == 0  # DEBUG from the file: the dev key is allowed
    refused = _manage("check", env={**env, "DEBUG": "false"})
    assert refused.returncode != 0
    assert "SECRET_KEY is not set" in refused.stderr


@pytest.mark.django_db
def test_reports_is_one_kind_in_the_guidelines_the_demo_registry_and_the_suggestions(client):
    """The codebook: "reports indicate" is a vague collective, kind anonymous; media is another
    outlet. The guidelines, the demo registry and the suggester say the same (and an older demo
    database that stored "Reports" as media is corrected by the next demo run)."""
    from annotate.codebook import SourceKind
    from suggestions.predict import suggest_texts

    Source.objects.create(name="Reports", kind=SourceKind.MEDIA)
    call_command("demo", "--password", "demo-pw-123", stdout=io.StringIO())
    assert Source.objects.get(name="Reports").kind == SourceKind.ANONYMOUS
    html = client.get("/guidelines/").content.decode()
    assert "the registry's “Reports” and “Analysts” are such sources" in html
    assert "Source: a vague collective, kind <code>anonymous</code> (“Reports”)" in html
    (suggestion,) = suggest_texts(["Reports indicate that at least 25 people have died."])
    assert (suggestion["label"], suggestion["source_kind"]) == ("attribution", SourceKind.ANONYMOUS)
