"""Migration annotate 0004 on a database with data: assignments submitted before events existed get
their submit event (so they are kept and locked with a history), marks last written by a Label
Studio pull are at the version it left (the next pull may update them), and every mark survives."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor.migrate(targets).apps


@pytest.mark.django_db(transaction=True)
def test_0004_records_past_submits_and_pulled_versions():
    old = _migrate([("annotate", "0003_move_models_to_their_apps")])
    try:
        User = old.get_model("auth", "User")
        Article = old.get_model("annotate", "Article")
        reviewer = User.objects.create(username="before-0004")
        outlet = old.get_model("annotate", "Outlet").objects.create(domain="old.example")
        article = Article.objects.create(outlet=outlet, title="t", text="One. Two.", content_hash="h" * 64)
        sentence = old.get_model("annotate", "Sentence").objects.create(
            article=article, position=0, start=0, end=4, text="One."
        )
        assignment = old.get_model("annotate", "Assignment").objects.create(
            article=article, reviewer=reviewer, submitted_at="2024-12-01T10:00:00Z"
        )
        Annotation = old.get_model("annotate", "Annotation")
        pulled = Annotation.objects.create(
            sentence=sentence, reviewer=reviewer, label="claim", origin="label_studio", external_id="34", version=3
        )
        web = Annotation.objects.create(
            sentence=old.get_model("annotate", "Sentence").objects.create(
                article=article, position=1, start=5, end=9, text="Two."
            ),
            reviewer=reviewer,
            label="other",
            origin="web",
            version=2,
        )
    finally:
        new = _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    event = new.get_model("annotate", "AssignmentEvent").objects.get()
    assert (event.assignment_id, event.action, event.by_id) == (assignment.pk, "submit", reviewer.pk)
    assert event.at.isoformat().startswith("2024-12-01T10:00:00")
    Annotation = new.get_model("annotate", "Annotation")
    assert Annotation.objects.get(pk=pulled.pk).external_version == 3
    assert Annotation.objects.get(pk=web.pk).external_version is None
    assert not new.get_model("annotate", "Article").objects.get(pk=article.pk).retired
