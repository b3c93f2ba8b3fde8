"""Export jobs on the task queue, from the API, the leads' page and the admin actions."""

import io
import json
import zipfile

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from datasets.models import ExportJob
from datasets.options import ExportOptions
from datasets.tasks import queue_export, run_export_job


@pytest.fixture(autouse=True)
def export_root(settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path / "exports"
    return settings.EXPORT_ROOT


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_queued_job_runs_on_the_queue_and_records_progress(annotated, lead):
    job = queue_export(ExportOptions(format="all", outlets=["news.sky.com"]), user=lead)
    job.refresh_from_db()
    assert job.status == "done"
    assert job.progress == job.total
    assert job.total > 0
    assert job.card["counts"]["sentences"] > 0
    assert job.path.endswith(f"export-{job.pk}.zip")
    with zipfile.ZipFile(job.path) as archive:
        assert "sentences.jsonl" in archive.namelist()


def test_a_job_runs_once(annotated, lead):
    job = queue_export(ExportOptions(), user=lead)
    assert run_export_job.call(job.pk) == "done"
    assert ExportJob.objects.get(pk=job.pk).status == "done"


def test_a_failing_job_says_why(annotated, lead, export_root):
    export_root.parent.mkdir(parents=True, exist_ok=True)
    export_root.write_text("a file where the folder should be")
    job = queue_export(ExportOptions(), user=lead)
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error


def test_api_creates_polls_and_downloads(annotated, lead):
    client = _api(lead)
    response = client.post("/api/v1/exports/", {"format": "jsonl", "outlets": ["reuters.com"]}, format="json")
    assert response.status_code == 202
    job_id = response.json()["id"]
    polled = client.get(f"/api/v1/exports/{job_id}/").json()
    assert polled["status"] == "done"
    assert polled["progress"] == polled["total"] == 2
    assert polled["download_url"].endswith(f"/api/v1/exports/{job_id}/download/")
    download = client.get(f"/api/v1/exports/{job_id}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as archive:
        lines = archive.read("sentences.jsonl").decode().splitlines()
    assert [json.loads(line)["outlet"] for line in lines] == ["reuters.com", "reuters.com"]
    assert client.get("/api/v1/exports/").json()["count"] == 1


def test_api_rejects_bad_options_and_non_leads(annotated, lead, reviewer):
    client = _api(lead)
    assert client.post("/api/v1/exports/", {"format": "xml"}, format="json").status_code == 400
    response = client.post("/api/v1/exports/", {"ratios": [0.5, 0.5, 0.5]}, format="json")
    assert response.status_code == 400
    assert "summing to 1" in json.dumps(response.json())
    assert ExportJob.objects.count() == 0
    assert _api(reviewer).post("/api/v1/exports/", {"format": "jsonl"}, format="json").status_code == 403
    assert _api(reviewer).get("/api/v1/exports/").status_code == 403
    assert APIClient().get("/api/v1/exports/").status_code in (401, 403)


def test_api_names_an_unknown_option_instead_of_exporting_everything(lead):
    # {"outlet": ...} for "outlets" queued an export of every outlet (docs/api.md: unknown fields are a 400).
    response = _api(lead).post("/api/v1/exports/", {"format": "jsonl", "outlet": ["news.sky.com"]}, format="json")
    assert response.status_code == 400
    assert "unknown field" in response.json()["outlet"][0]
    assert ExportJob.objects.count() == 0


def test_download_of_an_unfinished_job_is_a_conflict(lead):
    job = ExportJob.objects.create(format="jsonl", options=ExportOptions().to_dict(), created_by=lead)
    assert _api(lead).get(f"/api/v1/exports/{job.pk}/download/").status_code == 409


def test_leads_page_queues_and_lists_jobs(annotated, client, lead):
    client.force_login(lead)
    page = client.get(reverse("exports:list"))
    assert page.status_code == 200
    assert b"No exports yet" in page.content
    response = client.post(
        reverse("exports:list"),
        {
            "format": "csv",
            "outlets": ["news.sky.com"],
            "label_sources": ["unanimous", "majority", "adjudicated"],
            "include_other": "on",
            "seed": "s",
            "ratios": "0.8,0.1,0.1",
        },
        follow=True,
    )
    job = ExportJob.objects.get()
    assert job.status == "done"
    assert job.options["outlets"] == ["news.sky.com"]
    assert f"Export {job.pk} queued".encode() in response.content
    assert reverse("exports:download", args=[job.pk]).encode() in response.content
    download = client.get(reverse("exports:download", args=[job.pk]))
    assert download.status_code == 200


def test_leads_page_shows_form_errors_and_refuses_reviewers(annotated, client, lead, reviewer):
    client.force_login(lead)
    response = client.post(
        reverse("exports:list"), {"format": "csv", "label_sources": ["majority"], "seed": "s", "ratios": "1,1,1"}
    )
    assert response.status_code == 200
    assert b"summing to 1" in response.content
    assert not ExportJob.objects.exists()
    client.force_login(reviewer)
    assert client.get(reverse("exports:list")).status_code == 403


def test_admin_actions_queue_exports_of_the_selection(annotated, client, lead):
    lead.is_superuser = True
    lead.save()
    client.force_login(lead)
    reuters = annotated["reuters"]
    response = client.post(
        reverse("admin:annotate_article_changelist"),
        {"action": "export_articles", "_selected_action": [reuters.pk]},
        follow=True,
    )
    job = ExportJob.objects.get()
    assert job.options["article_ids"] == [reuters.pk]
    assert job.card["counts"]["sentences"] == 2
    assert reverse("exports:list").encode() in response.content
    client.post(
        reverse("admin:annotate_outlet_changelist"),
        {"action": "export_outlets", "_selected_action": [annotated["sky"].outlet_id]},
    )
    assert ExportJob.objects.latest("pk").options["outlets"] == ["news.sky.com"]


def test_command_page_api_and_options_share_one_default_format_seed_and_ratios():
    from datasets.api import ExportRequestSerializer
    from datasets.forms import ExportForm
    from datasets.management.commands.export import Command
    from datasets.options import DEFAULT_FORMAT, DEFAULT_RATIOS, DEFAULT_SEED

    parser = Command().create_parser("manage.py", "export")
    command = vars(parser.parse_args(["--out", "x"]))
    form = ExportForm()
    assert command["format"] == form.fields["format"].initial == DEFAULT_FORMAT
    assert ExportRequestSerializer().fields["format"].default == DEFAULT_FORMAT
    assert ExportOptions().format == DEFAULT_FORMAT
    assert command["seed"] == form.fields["seed"].initial == ExportOptions().seed == DEFAULT_SEED
    assert ExportOptions(ratios=command["ratios"]).ratios == ExportOptions(ratios=form.fields["ratios"].initial).ratios
    assert ExportOptions().ratios == list(DEFAULT_RATIOS)


def test_export_jobs_list_takes_page_size(lead):
    for _ in range(3):
        ExportJob.objects.create(format="jsonl", created_by=lead)
    body = _api(lead).get("/api/v1/exports/?page_size=2").json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"] is not None
