"""Move SuggestionModel from annotate to suggestions.

The table was created by annotate's migration 0002; this only moves the model's state (and its
content type, so admin history and permissions follow it). 0002 then renames the table.
"""

from django.db import migrations, models


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(schema_editor.connection.alias).filter(
        app_label="annotate", model__in=["suggestionmodel"]
    ).update(app_label="suggestions")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(schema_editor.connection.alias).filter(
        app_label="suggestions", model__in=["suggestionmodel"]
    ).update(app_label="annotate")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("annotate", "0002_add_exports_labelstudio_suggestions"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(move_content_types, restore_content_types),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SuggestionModel",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("version", models.CharField(max_length=50, unique=True)),
                        ("kind", models.CharField(default="learned", max_length=20)),
                        ("training_size", models.PositiveIntegerField(default=0)),
                        ("metrics", models.JSONField(blank=True, default=dict)),
                        ("payload", models.BinaryField(blank=True, help_text="the serialized scikit-learn pipeline", null=True)),
                        ("is_active", models.BooleanField(default=False)),
                        ("created", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "db_table": "annotate_suggestionmodel",
                        "ordering": ["-created"],
                        "constraints": [models.UniqueConstraint(condition=models.Q(("is_active", True)), fields=("is_active",), name="one_active_suggestion_model")],
                    },
                ),
            ],
        ),
    ]
