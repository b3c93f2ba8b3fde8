"""label-studio-sdk against a real Label Studio 1.23 server (see conftest.py and SDK_NOTES.md).

Plain tests: no Django models, no database.
"""

from __future__ import annotations

import json
import socket
import time

import httpx
import jwt
import pytest
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError
from label_studio_sdk.label_interface import LabelInterface
from sourcemark_ls_server import create_user  # registered by conftest.py

pytestmark = [
    pytest.mark.labelstudio,
    # label-studio-sdk 2.1.2 itself calls pydantic's deprecated parse_obj when refreshing a PAT.
    pytest.mark.filterwarnings("ignore:The `parse_obj` method is deprecated:DeprecationWarning"),
]

CONFIG = """<View>
  <Header value="$outlet · $title"/>
  <Text name="context" value="$context" granularity="word"/>
  <Header value="Sentence" size="5"/>
  <Text name="sentence" value="$text"/>
  <Choices name="label" toName="sentence" choice="single-radio" showInline="true" required="true">
    <Choice value="claim" hotkey="1"/>
    <Choice value="attribution" hotkey="2"/>
    <Choice value="analysis" hotkey="3"/>
    <Choice value="other" hotkey="4"/>
  </Choices>
  <Labels name="span" toName="sentence">
    <Label value="SOURCE" hotkey="s" background="#1f77b4"/>
    <Label value="CUE" hotkey="c" background="#ff7f0e"/>
  </Labels>
  <View visibleWhen="region-selected" whenTagName="span" whenLabelValue="SOURCE">
    <Header value="Source kind" size="6"/>
    <Choices name="source_kind" toName="sentence" perRegion="true" choice="single">
      <Choice value="person"/>
      <Choice value="organisation"/>
      <Choice value="government"/>
      <Choice value="media"/>
      <Choice value="document"/>
      <Choice value="anonymous"/>
    </Choices>
  </View>
  <TextArea name="note" toName="sentence" rows="2" maxSubmissions="1" placeholder="Optional note"/>
</View>"""


def _client(server, token: str) -> LabelStudio:
    return LabelStudio(base_url=server.url, api_key=token, timeout=30)


def _auth_header(ls: LabelStudio) -> str:
    return ls._client_wrapper.get_headers()["Authorization"]


def test_legacy_token_lists_projects(labelstudio_server):
    ls = _client(labelstudio_server, labelstudio_server.legacy_token)
    assert _auth_header(ls) == f"Token {labelstudio_server.legacy_token}"
    assert ls.users.whoami().email == labelstudio_server.email
    assert isinstance(list(ls.projects.list()), list)


def test_personal_access_token_lists_projects(labelstudio_server):
    pat = labelstudio_server.personal_access_token
    assert jwt.decode(pat, options={"verify_signature": False})["token_type"] == "refresh"
    ls = _client(labelstudio_server, pat)
    assert ls.users.whoami().email == labelstudio_server.email
    # The SDK swaps the refresh token for a short-lived access token and sends it as Bearer.
    assert _auth_header(ls).startswith("Bearer ")
    assert _auth_header(ls) != f"Bearer {pat}"
    project = ls.projects.create(title="pat-check")
    try:
        assert project.id in [p.id for p in ls.projects.list()]
    finally:
        ls.projects.delete(id=project.id)


def test_bad_legacy_token_raises_api_error_401(labelstudio_server):
    with pytest.raises(ApiError) as info:
        list(_client(labelstudio_server, "not-a-real-token").projects.list())
    assert info.value.status_code == 401
    assert info.value.body["detail"] == "Invalid token."


def test_bad_personal_access_token_raises_api_error_401(labelstudio_server):
    forged = labelstudio_server.personal_access_token[:-4] + "AAAA"  # signature no longer matches
    with pytest.raises(ApiError) as info:
        list(_client(labelstudio_server, forged).projects.list())
    assert info.value.status_code == 401
    assert info.value.body["detail"] == "Token is invalid"


def test_closed_port_raises_httpx_connect_error(labelstudio_server):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connection refused
        ls = LabelStudio(base_url=f"http://127.0.0.1:{port}", api_key=labelstudio_server.legacy_token, timeout=5)
        with pytest.raises(httpx.ConnectError):
            list(ls.projects.list())


def test_wrong_path_raises_api_error_404(labelstudio_server):
    ls = LabelStudio(base_url=labelstudio_server.url + "/nope", api_key=labelstudio_server.legacy_token)
    with pytest.raises(ApiError) as info:
        list(ls.projects.list())
    assert info.value.status_code == 404


def test_round_trip_recipes(labelstudio_server):
    """Every call SDK_NOTES.md recommends, end to end."""
    admin = _client(labelstudio_server, labelstudio_server.legacy_token)

    # Config: local check first (catches XML and toName errors), the server has the last word.
    LabelInterface(CONFIG).validate()
    with pytest.raises(Exception, match="toName"):
        LabelInterface(CONFIG.replace('toName="sentence" perRegion', 'toName="nope" perRegion')).validate()
    project = admin.projects.create(title="Sourcemark round trip", label_config=CONFIG)
    try:
        admin.projects.validate_label_config(id=project.id, label_config=CONFIG)
        bad = CONFIG.replace('toName="sentence" perRegion', 'toName="nope" perRegion')
        with pytest.raises(ApiError) as info:
            admin.projects.update(id=project.id, label_config=bad)
        assert info.value.status_code == 400
        assert admin.projects.update(id=project.id, title="Sourcemark round trip v2").title.endswith("v2")

        texts = [
            "The White Helmets affirmed the rising casualties.",
            "🐱 Reports indicate that 12 died, said the ministry.",
        ]
        tasks = [
            {"data": {"text": t, "context": "…", "title": "Syria", "outlet": "news.sky.com", "sentence_id": i}}
            for i, t in enumerate(texts, start=1)
        ]
        tasks[0]["predictions"] = [
            {
                "model_version": "suggest-0.1",
                "score": 0.6,
                "result": [
                    {"from_name": "label", "to_name": "sentence", "type": "choices", "value": {"choices": ["claim"]}}
                ],
            }
        ]
        imported = admin.projects.import_tasks(id=project.id, request=tasks, return_task_ids=True)
        assert imported.task_count == 2
        assert imported.prediction_count == 1
        task_ids = imported.task_ids
        assert [admin.tasks.get(id=i).data["sentence_id"] for i in task_ids] == [1, 2]  # same order as sent
        pred = admin.predictions.create(
            task=task_ids[1],
            model_version="suggest-0.2",
            score=0.4,
            result=[
                {"from_name": "label", "to_name": "sentence", "type": "choices", "value": {"choices": ["attribution"]}}
            ],
        )
        assert pred.model_version == "suggest-0.2"

        # A second person signs up through the invite link and annotates with their own token.
        reviewer = create_user(
            labelstudio_server.url, labelstudio_server.legacy_token, "rt-reviewer@sourcemark.test", "rt-pass-12345"
        )
        as_reviewer = _client(labelstudio_server, reviewer["legacy_token"])
        text = texts[1]
        src, cue = "Reports indicate", "said"
        s0, c0 = text.index(src), text.index(cue)  # Python code points == what the LS editor stores
        assert s0 == 2  # one emoji + space before it (3 in UTF-16)
        result = [
            {
                "id": "doc",
                "from_name": "label",
                "to_name": "sentence",
                "type": "choices",
                "value": {"choices": ["attribution"]},
            },
            {
                "id": "r1",
                "from_name": "span",
                "to_name": "sentence",
                "type": "labels",
                "value": {"start": s0, "end": s0 + len(src), "text": src, "labels": ["SOURCE"]},
            },
            {
                "id": "r1",
                "from_name": "source_kind",
                "to_name": "sentence",
                "type": "choices",
                "value": {"start": s0, "end": s0 + len(src), "text": src, "choices": ["anonymous"]},
            },
            {
                "id": "r2",
                "from_name": "span",
                "to_name": "sentence",
                "type": "labels",
                "value": {"start": c0, "end": c0 + len(cue), "text": cue, "labels": ["CUE"]},
            },
        ]
        assert LabelInterface(CONFIG).validate_annotation({"result": result})
        ann = as_reviewer.annotations.create(id=task_ids[1], result=result, lead_time=3.2)
        assert ann.completed_by == reviewer["id"]
        stored = admin.annotations.get(id=ann.id).result
        assert [(r["value"].get("start"), r["value"].get("end")) for r in stored][1] == (s0, s0 + len(src))
        assert text[stored[1]["value"]["start"] : stored[1]["value"]["end"]] == stored[1]["value"]["text"]

        time.sleep(1.05)
        result[0]["value"]["choices"] = ["claim"]
        updated = as_reviewer.annotations.update(id=ann.id, result=result)
        assert updated.updated_at > ann.updated_at
        assert updated.id == ann.id

        # Pull: list tasks with annotations. The free server ignores only_annotated (this assert fails the
        # day it stops ignoring it); filter on the annotations yourself.
        listed = list(admin.tasks.list(project=project.id, fields="all", only_annotated=True))
        assert len(listed) == 2
        annotated = [t for t in listed if t.annotations]
        assert [t.id for t in annotated] == [task_ids[1]]
        emails = {u.id: u.email for u in admin.users.list()}
        entry = annotated[0].annotations[0]
        assert isinstance(entry, dict)
        assert emails[entry["completed_by"]] == reviewer["email"]
        assert entry["id"] == ann.id
        assert entry["updated_at"]

        # Export (what a user downloads from the UI): Label Studio JSON, completed_by is an id.
        rows = json.loads(
            b"".join(admin.projects.exports.download_sync(id=project.id, export_type="JSON", download_all_tasks=True))
        )
        assert {r["id"] for r in rows} == set(task_ids)
        row = next(r for r in rows if r["id"] == task_ids[1])
        assert row["data"]["text"] == text
        assert row["annotations"][0]["completed_by"] == reviewer["id"]
        assert row["annotations"][0]["result"] == result  # the updated result, byte for byte

        # Export snapshot with annotators expanded: completed_by becomes {id, email, first_name, last_name}.
        snap = admin.projects.exports.create(
            id=project.id, serialization_options={"annotations__completed_by": {"only_id": False}}
        )
        for _ in range(60):
            if admin.projects.exports.get(id=project.id, export_pk=snap.id).status in ("completed", "failed"):
                break
            time.sleep(0.5)
        rows = json.loads(b"".join(admin.projects.exports.download(id=project.id, export_pk=snap.id)))
        row = next(r for r in rows if r["id"] == task_ids[1])
        assert row["annotations"][0]["completed_by"]["email"] == reviewer["email"]
    finally:
        admin.projects.delete(id=project.id)
