"""The Label Studio round trip against a real server: push, annotate there as a Label Studio user
would (with that user's own token), pull, re-push/re-pull, edits, file export, tokens and errors."""

from __future__ import annotations

import json
import socket
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from label_studio_sdk import LabelStudio
from sourcemark_ls_server import create_user  # registered by tests/labelstudio/conftest.py

from annotate.ingest import ingest_text
from annotate.models import (
    Annotation,
    AnnotationRevision,
    Assignment,
    Origin,
    Reviewer,
    Sentence,
    Source,
    SourceAlias,
)
from annotate.services import MarkInput, save_annotation, submit_assignment
from datasets.options import ExportOptions
from datasets.services import write_export
from labelstudio.config import label_config
from labelstudio.models import LabelStudioConflict, LabelStudioIdentity, LabelStudioProject, LabelStudioTask
from labelstudio.services import confirm_identity

pytestmark = [
    pytest.mark.labelstudio,
    pytest.mark.filterwarnings("ignore:The `parse_obj` method is deprecated:DeprecationWarning"),
]

EMOJI_TEXT = "🐱 Reports from the ministry of health said that 12 people died on Sunday near the border."
REVIEWER_EMAIL = "ana.lima@newsroom.test"


def _sdk(server, token: str) -> LabelStudio:
    return LabelStudio(base_url=server.url, api_key=token, timeout=30)


@pytest.fixture(scope="module")
def ls_reviewer(labelstudio_server) -> dict:
    """A second Label Studio user, signed up through the invite link, with their own token."""
    return create_user(labelstudio_server.url, labelstudio_server.legacy_token, REVIEWER_EMAIL, "reviewer-pw-123")


@pytest.fixture
def corpus(db, sample_article):
    """The sample article plus a short article whose sentence starts with an emoji."""
    body = f"Title: Border report\n\n{EMOJI_TEXT} Officials gave no further details.\n".encode()
    emoji_article = ingest_text(body, name="emoji.txt", outlet="example.org")[0].article
    white_helmets = Source.objects.create(name="White Helmets", kind="organisation")
    SourceAlias.objects.create(source=white_helmets, name="Syria Civil Defence")
    return {"sample": sample_article, "emoji": emoji_article, "white_helmets": white_helmets}


def _push(server, title: str, *extra: str, token: str | None = None) -> str:
    out = _Out()
    call_command(
        "labelstudio",
        "push",
        "--url",
        server.url,
        "--token",
        token or server.legacy_token,
        "--project-title",
        title,
        *extra,
        stdout=out,
    )
    return out.text


def _pull(server, *extra: str, token: str | None = None) -> str:
    out = _Out()
    call_command(
        "labelstudio", "pull", "--url", server.url, "--token", token or server.legacy_token, *extra, stdout=out
    )
    return out.text


class _Out:
    def __init__(self):
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def _confirm_all() -> list[LabelStudioIdentity]:
    """A lead confirms every account the pulls have met (what the admin action does)."""
    lead = get_user_model().objects.filter(username="confirming-lead").first() or get_user_model().objects.create_user(
        "confirming-lead", is_superuser=True
    )
    return [confirm_identity(identity, by=lead) for identity in LabelStudioIdentity.objects.filter(confirmed_at=None)]


def _task_id(project: LabelStudioProject, sentence: Sentence) -> int:
    return LabelStudioTask.objects.get(project=project, sentence=sentence).remote_id


def _choice(label: str) -> dict:
    return {"id": "doc", "from_name": "label", "to_name": "sentence", "type": "choices", "value": {"choices": [label]}}


def _region(region_id: str, text: str, part: str, tag: str, kind: str | None = None) -> list[dict]:
    start = text.index(part)
    value = {"start": start, "end": start + len(part), "text": part}
    items = [
        {
            "id": region_id,
            "from_name": "spans",
            "to_name": "sentence",
            "type": "labels",
            "value": {**value, "labels": [tag]},
            "origin": "manual",
        }
    ]
    if kind:
        items.append(
            {
                "id": region_id,
                "from_name": "source_kind",
                "to_name": "sentence",
                "type": "choices",
                "value": {**value, "choices": [kind]},
                "origin": "manual",
            }
        )
    return items


def _marks() -> list[tuple]:
    return sorted(
        (
            a.sentence_id,
            a.reviewer.email,
            a.label,
            a.source.name if a.source else None,
            a.source_span,
            a.cue_span,
            a.note,
            a.origin,
        )
        for a in Annotation.objects.select_related("reviewer", "source")
    )


def _sentence_with(article, words: str) -> Sentence:
    return article.sentences.get(text__contains=words)


def test_push_annotate_pull_round_trip(labelstudio_server, ls_reviewer, corpus, tmp_path):
    server = labelstudio_server
    sample, emoji_article = corpus["sample"], corpus["emoji"]
    reviewable = Sentence.objects.filter(reviewable=True).count()

    # Push: every reviewable sentence becomes a task carrying its ids, context and our suggestion.
    output = _push(server, "Round trip")
    assert f"created {reviewable} tasks" in output
    assert "skipped 0 already there" in output
    project = LabelStudioProject.objects.get(url=server.url)
    assert project.tasks.count() == reviewable
    assert project.last_push is not None
    admin = _sdk(server, server.legacy_token)
    emoji_sentence = emoji_article.sentences.get(position=0)
    assert emoji_sentence.text == EMOJI_TEXT
    task = admin.tasks.get(id=_task_id(project, emoji_sentence))
    assert task.data["sentence"] == EMOJI_TEXT
    assert task.data["sentence_id"] == emoji_sentence.pk
    assert task.data["article_id"] == emoji_article.pk
    assert task.data["article_title"] == "Border report"
    assert "Officials gave no further details." in task.data["context"]
    listed = {t.id: t for t in admin.tasks.list(project=project.remote_id, fields="all")}
    assert len(listed) == reviewable
    assert all(t.predictions and t.predictions[0].model_version for t in listed.values())
    # A non-reviewable trailer is never pushed.
    assert not LabelStudioTask.objects.filter(sentence__reviewable=False).exists()

    # The Label Studio user annotates with their own token, as the editor would store it.
    reviewer_sdk = _sdk(server, ls_reviewer["legacy_token"])
    helmets = _sentence_with(sample, "The White Helmets")
    claim = _sentence_with(sample, "Militias backed by Iran")
    skipped = _sentence_with(sample, "This resurgence of conflict")
    emoji_result = [
        _choice("attribution"),
        *_region("src", EMOJI_TEXT, "the ministry of health", "SOURCE", "government"),
        *_region("cue", EMOJI_TEXT, "said", "CUE"),
        {
            "id": "n",
            "from_name": "note",
            "to_name": "sentence",
            "type": "textarea",
            "value": {"text": ["vague opener"]},
        },
    ]
    emoji_annotation = reviewer_sdk.annotations.create(id=_task_id(project, emoji_sentence), result=emoji_result)
    reviewer_sdk.annotations.create(
        id=_task_id(project, helmets),
        result=[
            _choice("attribution"),
            *_region("s", helmets.text, "The White Helmets", "SOURCE", "organisation"),
            *_region("c", helmets.text, "affirmed", "CUE"),
        ],
    )
    reviewer_sdk.annotations.create(id=_task_id(project, claim), result=[_choice("claim")])
    reviewer_sdk.annotations.create(id=_task_id(project, skipped), result=[], was_cancelled=True)

    # Nothing is written until a lead confirms who the account is (issue 11 finding 8).
    output = _pull(server)
    assert "0 marks created" in output
    assert "3 annotations of 1 Label Studio account(s) not written until a lead confirms who they are" in output
    assert f"{REVIEWER_EMAIL} (#{ls_reviewer['id']}): 3" in output
    assert not Annotation.objects.exists()
    assert not get_user_model().objects.filter(email=REVIEWER_EMAIL).exists()
    (identity,) = LabelStudioIdentity.objects.filter(remote_user_id=ls_reviewer["id"])
    assert (identity.email, identity.user, identity.confirmed) == (REVIEWER_EMAIL, None, False)
    _confirm_all()

    output = _pull(server)
    assert "3 marks created, 0 updated, 0 unchanged" in output
    assert "1 skipped or empty" in output
    user = get_user_model().objects.get(email=REVIEWER_EMAIL)
    assert user.username == "ana.lima"
    assert not user.has_usable_password()
    assert Reviewer.objects.filter(user=user, is_external=True, origin="label_studio").exists()
    mark = Annotation.objects.get(sentence=emoji_sentence, reviewer=user)
    assert mark.label == "attribution"
    start = EMOJI_TEXT.index("the ministry of health")
    assert start == 15  # code points: the emoji counts once (it is 2 UTF-16 units)
    assert mark.source_span == (start, start + len("the ministry of health"))
    assert EMOJI_TEXT[mark.source_start : mark.source_end] == "the ministry of health"
    assert EMOJI_TEXT[mark.cue_start : mark.cue_end] == "said"
    assert mark.source.name == "the ministry of health"
    assert mark.source.kind == "government"  # a new registry entry with the region's kind
    assert mark.note == "vague opener"
    assert (mark.origin, mark.external_id) == (Origin.LABEL_STUDIO, str(emoji_annotation.id))
    assert mark.external_updated == emoji_annotation.updated_at
    helmets_mark = Annotation.objects.get(sentence=helmets, reviewer=user)
    assert helmets_mark.source == corpus["white_helmets"]  # "The White Helmets" matched the registry
    assert Annotation.objects.get(sentence=claim, reviewer=user).source is None
    assert not Annotation.objects.filter(sentence=skipped).exists()
    assert AnnotationRevision.objects.count() == 3

    # Again: no new tasks, no changed marks, no new revisions.
    before = (_marks(), AnnotationRevision.objects.count(), list(Annotation.objects.values_list("version", flat=True)))
    output = _push(server, "Round trip")
    assert f"created 0 tasks (0 with predictions), skipped {reviewable} already there" in output
    assert len(list(admin.tasks.list(project=project.remote_id))) == reviewable
    assert "0 marks created, 0 updated, 3 unchanged" in _pull(server)
    assert (
        _marks(),
        AnnotationRevision.objects.count(),
        list(Annotation.objects.values_list("version", flat=True)),
    ) == before

    # A new article: only its sentences are pushed.
    ingest_text(b"Title: Later\n\nA later sentence appeared. And one more.\n", name="later.txt", outlet="example.org")
    assert "created 2 tasks" in _push(server, "Round trip")

    # An edit in Label Studio (newer updated_at) updates our mark, keeping the old value in history.
    time.sleep(1.05)
    emoji_result[0]["value"]["choices"] = ["claim"]
    edited = reviewer_sdk.annotations.update(id=emoji_annotation.id, result=emoji_result)
    assert edited.updated_at > emoji_annotation.updated_at
    assert "0 marks created, 1 updated, 2 unchanged" in _pull(server)
    mark.refresh_from_db()
    assert (mark.label, mark.version, mark.external_updated) == ("claim", 2, edited.updated_at)
    history = list(AnnotationRevision.objects.filter(annotation=mark).order_by("version"))
    assert [(r.version, r.label, r.origin) for r in history] == [
        (1, "attribution", "label_studio"),
        (2, "claim", "label_studio"),
    ]
    assert "0 marks created, 0 updated, 3 unchanged" in _pull(server)

    # File round trip: the project's JSON export, imported into a fresh state, gives the same marks.
    expected = _marks()
    raw = b"".join(
        admin.projects.exports.download_sync(id=project.remote_id, export_type="JSON", download_all_tasks=True)
    )
    export = tmp_path / "export.json"
    export.write_bytes(raw)
    assert all(isinstance(a["completed_by"], int) for row in json.loads(raw) for a in row["annotations"])
    user_map = tmp_path / "users.json"
    user_map.write_text(json.dumps({str(ls_reviewer["id"]): REVIEWER_EMAIL}))
    AnnotationRevision.objects.all().delete()
    Annotation.objects.all().delete()
    Source.objects.exclude(pk=corpus["white_helmets"].pk).delete()
    LabelStudioIdentity.objects.all().delete()
    get_user_model().objects.filter(email=REVIEWER_EMAIL).delete()
    out = _Out()
    call_command("labelstudio", "import-file", str(export), "--user-map", str(user_map), stdout=out)
    assert "3 marks created" in out.text
    assert _marks() == expected
    out = _Out()
    call_command("labelstudio", "import-file", str(export), "--user-map", str(user_map), stdout=out)
    assert "0 marks created, 0 updated, 3 unchanged" in out.text

    # Without a user map, ids become placeholder external reviewers.
    Annotation.objects.all().delete()
    call_command("labelstudio", "import-file", str(export), stdout=_Out())
    placeholder = get_user_model().objects.get(username=f"ls-user-{ls_reviewer['id']}")
    assert placeholder.reviewer.is_external
    assert Annotation.objects.filter(reviewer=placeholder).count() == 3


def test_personal_access_token_and_settings_work(labelstudio_server, corpus, settings):
    server = labelstudio_server
    output = _push(server, "PAT push", "--limit", "2", token=server.personal_access_token)
    assert "created 2 tasks" in output
    project = LabelStudioProject.objects.get(title="PAT push")
    settings.LABEL_STUDIO_URL = server.url + "/"
    settings.LABEL_STUDIO_API_KEY = server.personal_access_token
    out = _Out()
    call_command("labelstudio", "push", "--project-title", "PAT push", "--article", str(corpus["emoji"].pk), stdout=out)
    assert "created 2 tasks" in out.text  # the emoji article's two sentences; the first two were sample ones
    assert project.tasks.count() == 4
    out = _Out()
    call_command("labelstudio", "pull", "--project", str(project.remote_id), stdout=out)
    assert "0 marks created, 0 updated, 0 unchanged" in out.text


def _closed_port_url() -> tuple[socket.socket, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound, never listening: connection refused
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize(
    "case", ["bad legacy token", "forged PAT", "closed port", "wrong path", "no scheme", "unknown project"]
)
def test_errors_are_one_line_and_write_nothing(labelstudio_server, corpus, case):
    server = labelstudio_server
    url, token, extra = server.url, server.legacy_token, []
    sock = None
    if case == "bad legacy token":
        token = "not-a-real-token"
    elif case == "forged PAT":
        token = server.personal_access_token[:-4] + "AAAA"
    elif case == "closed port":
        sock, url = _closed_port_url()
    elif case == "wrong path":
        url = server.url + "/nope"
    elif case == "no scheme":
        url = server.url.removeprefix("http://")
    else:
        extra = ["--project", "999999"]
    try:
        with pytest.raises(CommandError) as info:
            call_command("labelstudio", "push", "--url", url, "--token", token, *extra)
    finally:
        if sock:
            sock.close()
    message = str(info.value)
    assert "\n" not in message
    expected = {
        "bad legacy token": "rejected the API token: Invalid token.",
        "forged PAT": "rejected the API token: Token is invalid",
        "closed port": "cannot reach Label Studio",
        "wrong path": "not found",
        "no scheme": "must start with http:// or https://",
        "unknown project": "has no project #999999",
    }[case]
    assert expected in message
    assert not LabelStudioProject.objects.exists()
    assert not LabelStudioTask.objects.exists()
    if case in ("bad legacy token", "unknown project"):
        with pytest.raises(CommandError) as info:
            call_command("labelstudio", "pull", "--url", url, "--token", token, *extra)
        assert "\n" not in str(info.value)


def test_invalid_value_in_labelstudio_is_reported_and_nothing_written(labelstudio_server, ls_reviewer, corpus):
    server = labelstudio_server
    _push(server, "Invalid values", "--article", str(corpus["sample"].pk), "--limit", "3")
    project = LabelStudioProject.objects.get(title="Invalid values")
    first, second, third = project.tasks.order_by("sentence__position")
    reviewer_sdk = _sdk(server, ls_reviewer["legacy_token"])
    # The server stores any value; we refuse it.
    reviewer_sdk.annotations.create(id=first.remote_id, result=[_choice("opinion")])
    text = second.sentence.text
    reviewer_sdk.annotations.create(id=second.remote_id, result=[_choice("attribution")])  # no SOURCE span
    reviewer_sdk.annotations.create(id=third.remote_id, result=[_choice("analysis")])
    users_before = get_user_model().objects.count()

    with pytest.raises(CommandError) as info:
        _pull(server, "--project", str(project.remote_id))
    message = str(info.value)
    assert "\n" not in message
    assert "2 invalid annotation(s), nothing written" in message
    assert "label 'opinion' is not in the codebook" in message
    assert "an attribution needs a SOURCE span" in message
    assert not Annotation.objects.exists()
    assert get_user_model().objects.count() == users_before  # not even the reviewer's account

    # A span whose offsets do not read its text (a hand-made result) is refused too.
    bad_span = [
        _choice("claim"),
        {
            "id": "x",
            "from_name": "spans",
            "to_name": "sentence",
            "type": "labels",
            "value": {"start": 0, "end": 3, "text": text[1:4], "labels": ["CUE"]},
        },
    ]
    _sdk(server, server.legacy_token).annotations.create(id=second.remote_id, result=bad_span)
    with pytest.raises(CommandError, match="3 invalid annotation"):
        _pull(server, "--project", str(project.remote_id))

    _pull(server, "--project", str(project.remote_id), "--skip-invalid")
    _confirm_all()
    output = _pull(server, "--project", str(project.remote_id), "--skip-invalid")
    assert "1 marks created" in output
    assert "3 invalid, not written" in output
    assert list(Annotation.objects.values_list("sentence_id", "label")) == [(third.sentence_id, "analysis")]


def test_config_mismatch_and_foreign_project(labelstudio_server, corpus):
    server = labelstudio_server
    admin = _sdk(server, server.legacy_token)
    _push(server, "Config check", "--limit", "1")
    project = LabelStudioProject.objects.get(title="Config check")
    edited = label_config().replace('value="Sentence"', 'value="The sentence"')
    admin.projects.update(id=project.remote_id, label_config=edited)
    with pytest.raises(CommandError, match="differs from the codebook's .*--force-config"):
        _push(server, "Config check")
    assert "labeling config updated" in _push(server, "Config check", "--force-config")
    assert admin.projects.get(id=project.remote_id).label_config == label_config()

    foreign = admin.projects.create(
        title="Not ours",
        label_config='<View><Text name="t" value="$t"/>'
        '<Choices name="c" toName="t"><Choice value="a"/></Choices></View>',
    )
    try:
        with pytest.raises(CommandError, match="not have the Sourcemark labeling config: no control named 'label'"):
            _pull(server, "--project", str(foreign.id))
        with pytest.raises(CommandError, match="--force-config"):
            _push(server, "x", "--project", str(foreign.id))
    finally:
        admin.projects.delete(id=foreign.id)


def test_dataset_export_imports_into_our_project_and_pulls_back(labelstudio_server, corpus, reviewer, tmp_path):
    """The Label Studio JSON of `export` fits this config; pulled back, the marks come home."""
    server = labelstudio_server
    sentence = _sentence_with(corpus["sample"], "The White Helmets")
    start = sentence.text.index("The White Helmets")
    save_annotation(
        reviewer=reviewer,
        sentence=sentence,
        mark=MarkInput(
            label="attribution",
            source=corpus["white_helmets"],
            source_span=(start, start + 17),
            cue_span=(sentence.text.index("affirmed"), sentence.text.index("affirmed") + 8),
        ),
    )
    # Exports hold submitted work only (docs/scoring.md section 1): the reviewer submits the article.
    Assignment.objects.create(article=sentence.article, reviewer=reviewer, submitted_at=timezone.now())
    result = write_export(ExportOptions(format="labelstudio"), tmp_path / "dataset", force=True)
    rows = json.loads((result.path / "labelstudio.json").read_text())
    assert rows

    admin = _sdk(server, server.legacy_token)
    remote = admin.projects.create(title="From a dataset export", label_config=label_config())
    try:
        imported = admin.projects.import_tasks(id=remote.id, request=rows, return_task_ids=True)
        assert imported.task_count == len(rows)
        assert "1 annotations of 1 Label Studio account(s) not written" in _pull(server, "--project", str(remote.id))
        _confirm_all()
        output = _pull(server, "--project", str(remote.id))
        assert "1 marks created" in output
        admin_user = get_user_model().objects.get(email=server.email)  # the importing user annotated it
        pulled = Annotation.objects.get(reviewer=admin_user)
        ours = Annotation.objects.get(reviewer=reviewer)
        assert (pulled.sentence_id, pulled.label, pulled.source, pulled.source_span, pulled.cue_span) == (
            ours.sentence_id,
            ours.label,
            ours.source,
            ours.source_span,
            ours.cue_span,
        )
    finally:
        admin.projects.delete(id=remote.id)


def test_admin_actions_push_and_pull(labelstudio_server, ls_reviewer, corpus, client, settings, django_user_model):
    server = labelstudio_server
    superuser = django_user_model.objects.create_superuser("boss", "boss@example.org", "pw-boss-123456")
    client.force_login(superuser)
    url = reverse("admin:annotate_article_changelist")
    article = corpus["emoji"]

    settings.LABEL_STUDIO_URL = ""
    response = client.post(url, {"action": "push_to_labelstudio", "_selected_action": [article.pk]}, follow=True)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Cannot push to Label Studio: no Label Studio URL: set LABEL_STUDIO_URL."
    ]

    settings.LABEL_STUDIO_URL = server.url
    settings.LABEL_STUDIO_API_KEY = server.legacy_token
    settings.LABEL_STUDIO_PROJECT_TITLE = "Admin actions"
    response = client.post(url, {"action": "push_to_labelstudio", "_selected_action": [article.pk]}, follow=True)
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert "created 2 tasks" in message
    project = LabelStudioProject.objects.get(title="Admin actions")
    task_id = _task_id(project, article.sentences.get(position=0))
    _sdk(server, ls_reviewer["legacy_token"]).annotations.create(id=task_id, result=[_choice("claim")])
    response = client.post(url, {"action": "pull_from_labelstudio", "_selected_action": [article.pk]}, follow=True)
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert "1 annotations of 1 Label Studio account(s) not written until a lead confirms" in message
    identities = reverse("admin:labelstudio_labelstudioidentity_changelist")
    identity = LabelStudioIdentity.objects.get(remote_user_id=ls_reviewer["id"])
    response = client.post(identities, {"action": "confirm_identities", "_selected_action": [identity.pk]}, follow=True)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Confirmed 1 identities; the next pull writes their marks."
    ]
    response = client.post(url, {"action": "pull_from_labelstudio", "_selected_action": [article.pk]}, follow=True)
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert "1 marks created" in message
    assert Annotation.objects.get(sentence__article=article).label == "claim"

    settings.LABEL_STUDIO_API_KEY = "wrong-token"
    response = client.post(url, {"action": "pull_from_labelstudio", "_selected_action": [article.pk]}, follow=True)
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Label Studio pull failed:")
    assert "rejected the API token" in message


def test_identity_is_confirmed_and_a_local_change_is_never_overwritten(
    labelstudio_server, corpus, reviewer, lead, client
):
    """Issue 11 finding 8 end to end: a Label Studio account with reviewer1's e-mail writes nothing
    until a lead confirms it is reviewer1; then a pulled change never overwrites a mark of reviewer1
    that changed here (or whose assignment is submitted): a conflict is recorded for a lead to settle."""
    server = labelstudio_server
    article = corpus["emoji"]
    sentence = article.sentences.get(position=0)
    assignment = Assignment.objects.create(article=article, reviewer=reviewer)
    save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label="analysis"), changed_by=reviewer)
    account = create_user(server.url, server.legacy_token, reviewer.email, "impostor-pw-123")
    _push(server, "Identity", "--article", str(article.pk))
    project = LabelStudioProject.objects.get(title="Identity")
    remote = _sdk(server, account["legacy_token"])
    task = _task_id(project, sentence)
    annotation = remote.annotations.create(id=task, result=[_choice("claim")])

    output = _pull(server, "--project", str(project.remote_id))
    assert "not written until a lead confirms" in output
    identity = LabelStudioIdentity.objects.get(remote_user_id=account["id"])
    assert identity.user == reviewer  # proposed from the e-mail...
    assert not identity.confirmed  # ...but not trusted
    mark = Annotation.objects.get(sentence=sentence, reviewer=reviewer)
    assert (mark.label, mark.version) == ("analysis", 1)

    client.force_login(lead)
    identities = reverse("admin:labelstudio_labelstudioidentity_changelist")
    client.post(identities, {"action": "confirm_identities", "_selected_action": [identity.pk]})
    identity.refresh_from_db()
    assert (identity.confirmed_by, identity.user) == (lead, reviewer)

    # Confirmed, but our mark was made here and differs: a conflict, not an overwrite.
    output = _pull(server, "--project", str(project.remote_id))
    assert "1 conflicts with our marks kept for a lead to settle" in output
    mark.refresh_from_db()
    assert (mark.label, mark.version) == ("analysis", 1)
    conflict = LabelStudioConflict.objects.get(settled_at=None)
    assert (conflict.reason, conflict.remote_value["label"]) == ("never_pulled", "claim")
    conflicts = reverse("admin:labelstudio_labelstudioconflict_changelist")
    assert "Our mark was made here and differs" in client.get(conflicts).content.decode()
    client.post(conflicts, {"action": "take_theirs", "_selected_action": [conflict.pk]})
    mark.refresh_from_db()
    assert (mark.label, mark.version, mark.external_version) == ("claim", 2, 2)
    revision = AnnotationRevision.objects.filter(annotation=mark).latest("id")
    assert (revision.changed_by, revision.origin) == (lead, "label_studio")
    assert "0 marks created, 0 updated, 1 unchanged" in _pull(server, "--project", str(project.remote_id))

    # Unchanged here since that pull: a Label Studio edit comes through.
    time.sleep(1.05)
    annotation = remote.annotations.update(id=annotation.id, result=[_choice("other")])
    assert "0 marks created, 1 updated" in _pull(server, "--project", str(project.remote_id))
    mark.refresh_from_db()
    assert (mark.label, mark.version) == ("other", 3)

    # Changed here, then in Label Studio: ours stays, a conflict is recorded.
    save_annotation(
        reviewer=reviewer, sentence=sentence, mark=MarkInput(label="analysis"), expected_version=3, changed_by=reviewer
    )
    time.sleep(1.05)
    remote.annotations.update(id=annotation.id, result=[_choice("claim")])
    assert "1 conflicts" in _pull(server, "--project", str(project.remote_id))
    mark.refresh_from_db()
    assert (mark.label, mark.version) == ("analysis", 4)
    conflict = LabelStudioConflict.objects.get(settled_at=None)
    assert (conflict.reason, conflict.local_version) == ("changed_here", 4)
    client.post(conflicts, {"action": "keep_ours", "_selected_action": [conflict.pk]})
    assert "0 marks created, 0 updated, 1 unchanged" in _pull(server, "--project", str(project.remote_id))
    mark.refresh_from_db()
    assert mark.label == "analysis"

    # Submitted here: a later Label Studio edit is a conflict too.
    for other in article.sentences.filter(reviewable=True).exclude(pk=sentence.pk):
        save_annotation(reviewer=reviewer, sentence=other, mark=MarkInput(label="claim"))
    submit_assignment(assignment=assignment)
    time.sleep(1.05)
    remote.annotations.update(id=annotation.id, result=[_choice("other")])
    assert "The reviewer's assignment is submitted" in _pull(server, "--project", str(project.remote_id))
    mark.refresh_from_db()
    assert (mark.label, mark.version) == ("analysis", 4)
