"""Models that moved to their own apps (datasets, labelstudio, suggestions) keep their rows, their
content types and the permissions granted on them when a database made before the move migrates."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_THE_MOVE = [
    ("annotate", "0002_add_exports_labelstudio_suggestions"),
    ("datasets", None),
    ("labelstudio", None),
    ("suggestions", None),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor.migrate(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_moved_models_keep_their_rows_content_types_and_permissions():
    old = _migrate(BEFORE_THE_MOVE)
    try:
        User = old.get_model("auth", "User")
        Group = old.get_model("auth", "Group")
        Permission = old.get_model("auth", "Permission")
        ContentType = old.get_model("contenttypes", "ContentType")
        Outlet = old.get_model("annotate", "Outlet")
        Article = old.get_model("annotate", "Article")
        Sentence = old.get_model("annotate", "Sentence")
        user = User.objects.create(username="lead-before-the-move")
        outlet = Outlet.objects.create(domain="old.example")
        article = Article.objects.create(outlet=outlet, title="t", text="One. Two.", content_hash="h" * 64)
        sentence = Sentence.objects.create(article=article, position=0, start=0, end=4, text="One.")
        job = old.get_model("annotate", "ExportJob").objects.create(format="jsonl", created_by=user, status="done")
        project = old.get_model("annotate", "LabelStudioProject").objects.create(
            url="http://ls.example", remote_id=7, title="p"
        )
        old.get_model("annotate", "LabelStudioTask").objects.create(project=project, sentence=sentence, remote_id=70)
        old.get_model("annotate", "SuggestionModel").objects.create(version="lr-old", is_active=True)
        content_type, _ = ContentType.objects.get_or_create(app_label="annotate", model="exportjob")
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename="view_exportjob", defaults={"name": "Can view export job"}
        )
        group = Group.objects.create(name="moved-permission-holders")
        group.permissions.add(permission)
    finally:
        new = _migrate(_latest())

    ExportJob = new.get_model("datasets", "ExportJob")
    assert ExportJob._meta.db_table == "datasets_exportjob"
    moved = ExportJob.objects.get(pk=job.pk)
    assert (moved.format, moved.status, moved.created_by_id) == ("jsonl", "done", user.pk)
    task = new.get_model("labelstudio", "LabelStudioTask").objects.get()
    assert (task.project_id, task.sentence_id, task.remote_id) == (project.pk, sentence.pk, 70)
    assert new.get_model("suggestions", "SuggestionModel").objects.get().version == "lr-old"
    ContentType = new.get_model("contenttypes", "ContentType")
    assert ContentType.objects.get(pk=content_type.pk).app_label == "datasets"
    assert not ContentType.objects.filter(app_label="annotate", model="exportjob").exists()
    group = new.get_model("auth", "Group").objects.get(name="moved-permission-holders")
    assert list(group.permissions.values_list("content_type__app_label", "codename")) == [
        ("datasets", "view_exportjob")
    ]
