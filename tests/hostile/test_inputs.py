"""Issue 12 §2 and §15: hostile request bodies and filter values."""

import json
import re

import pytest
from rest_framework.test import APIClient

from annotate.ingest import IngestError, parse_jsonl
from datasets.card import render_readme
from datasets.importer import DatasetImportError, import_records
from datasets.options import ExportOptions
from datasets.services import write_export

DEEP = 50_000


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.django_db
@pytest.mark.parametrize("depth", [DEEP, 65])
def test_deeply_nested_json_is_a_400_on_any_endpoint(depth, reviewer, lead):
    anonymous, as_reviewer, as_lead = APIClient(), APIClient(), APIClient()
    as_reviewer.force_authenticate(reviewer)
    as_lead.force_authenticate(lead)
    for client, url in (
        (anonymous, "/api/v1/auth/token/"),  # anonymous, the case as found
        (as_reviewer, "/api/v1/annotations/"),  # the API's JSON-only viewsets
        (as_lead, "/api/v1/exports/"),  # views on DRF's default parsers
        (as_lead, "/api/v1/articles/"),
    ):
        response = client.generic("POST", url, nested(depth), content_type="application/json")
        assert response.status_code == 400, (url, response.status_code)
        assert "nested deeper than 64 levels" in response.json()["detail"], url


@pytest.mark.django_db
def test_json_within_the_limit_still_reaches_the_view(reviewer):
    body = json.dumps({"username": "reviewer1", "password": "pw-for-tests-1"}).encode()
    assert APIClient().generic("POST", "/api/v1/auth/token/", body, content_type="application/json").status_code == 200
    # 64 levels is allowed by the parser (the view then says what is wrong with it)
    response = APIClient().generic("POST", "/api/v1/auth/token/", nested(64), content_type="application/json")
    assert response.status_code == 400
    assert "nested" not in json.dumps(response.json())


@pytest.mark.django_db
def test_json_lines_nested_too_deep_are_a_clear_error_in_ingest_and_import():
    with pytest.raises(IngestError, match="nested deeper than 64 levels"):
        parse_jsonl(nested(DEEP), origin="deep.jsonl")
    with pytest.raises(DatasetImportError, match="nested deeper than 64 levels"):
        import_records([nested(DEEP).decode()])


def test_depth_counts_lists_and_objects_without_recursion():
    from annotate import safejson

    assert safejson.depth(1) == 0
    assert safejson.depth([]) == 1
    assert safejson.depth({"a": [{"b": []}]}) == 4
    value = []
    for _ in range(5000):
        value = [value]
    assert safejson.depth(value) == 5001
    with pytest.raises(safejson.JSONTooDeep):
        safejson.check_depth(value)


HOSTILE = "x](javascript:alert(1)) <script>alert(2)</script>\n# Injected heading\n| a | b |\n`tick` *em* _u_"


def test_markdown_escapes_make_any_value_inert():
    from datasets.card import code_span, escape_markdown

    assert "\n" not in escape_markdown(HOSTILE)
    escaped = escape_markdown(HOSTILE)
    unescaped = re.findall(r"(?<!\\)[\[\]()<>#*_`|]", escaped)  # a Markdown character without its backslash
    assert unescaped == []
    assert escaped.count("\\") == len(re.findall(r"[!-/:-@\[-`{-~]", HOSTILE))
    span = code_span(HOSTILE)
    assert span.startswith("`") and span.endswith("`")  # noqa: PT018
    assert "\n" not in span
    fence = span[: len(span) - len(span.lstrip("`"))]
    assert fence not in span[len(fence) : -len(fence)]  # nothing inside can close the span
    assert code_span("news.sky.com") == "`news.sky.com`"


@pytest.mark.django_db
def test_export_readme_prints_filter_values_escaped(tmp_path):
    from datasets.card import code_span

    options = ExportOptions(topics=[HOSTILE], outlets=["news.sky.com"], seed=HOSTILE)
    readme = (write_export(options, tmp_path / "out").path / "README.md").read_text()
    filters = [line for line in readme.split("## Filters", 1)[1].split("## Schema", 1)[0].splitlines() if line]
    assert all(line.startswith("- ") for line in filters), filters  # no injected heading or table row
    assert f"- topics: {code_span(HOSTILE)}" in filters
    assert f"- seed: {code_span(HOSTILE)}" in filters
    assert "- outlets: `news.sky.com`" in filters
    assert not any(line.startswith(("# Injected", "| a |")) for line in readme.splitlines())


def test_render_readme_escapes_the_name():
    card = json.loads(
        json.dumps(
            {
                "name": "out_[1](http://x).zip",
                "created": "now",
                "schema_version": "1",
                "codebook_version": "1",
                "message": "m",
                "files": {},
                "counts": {
                    "by_label": {},
                    "by_split": {},
                    "by_split_label": {},
                    "sentences": 0,
                    "by_label_source": {},
                },
                "agreement": {
                    "krippendorff_alpha": None,
                    "interpretation": "",
                    "pairable_sentences": 0,
                    "mean_sentence_agreement": None,
                },
                "filters": {"outlets": []},
            }
        )
    )
    readme = render_readme(card)
    assert readme.splitlines()[0] == r"# out\_\[1\]\(http\:\/\/x\)\.zip"
    assert "- outlets: (any)" in readme
