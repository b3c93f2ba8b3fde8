"""Move LabelStudioProject and LabelStudioTask from annotate to labelstudio.

The table was created by annotate's migration 0002; this only moves the model's state (and its
content type, so admin history and permissions follow it). 0002 then renames the table.
"""

import django.db.models.deletion
from django.db import migrations, models


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(schema_editor.connection.alias).filter(
        app_label="annotate", model__in=["labelstudioproject", "labelstudiotask"]
    ).update(app_label="labelstudio")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(schema_editor.connection.alias).filter(
        app_label="labelstudio", model__in=["labelstudioproject", "labelstudiotask"]
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
                    name="LabelStudioProject",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("url", models.URLField(help_text="the Label Studio server", max_length=500)),
                        ("remote_id", models.PositiveIntegerField(help_text="the project id on that server")),
                        ("title", models.CharField(max_length=300)),
                        ("label_config_hash", models.CharField(blank=True, max_length=64)),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        ("last_push", models.DateTimeField(blank=True, null=True)),
                        ("last_pull", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "db_table": "annotate_labelstudioproject",
                        "constraints": [models.UniqueConstraint(fields=("url", "remote_id"), name="ls_project_unique")],
                    },
                ),
                migrations.CreateModel(
                    name="LabelStudioTask",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("remote_id", models.PositiveBigIntegerField()),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        ("project", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="tasks", to="labelstudio.labelstudioproject")),
                        ("sentence", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="labelstudio_tasks", to="annotate.sentence")),
                    ],
                    options={
                        "db_table": "annotate_labelstudiotask",
                        "constraints": [
                            models.UniqueConstraint(fields=("project", "sentence"), name="ls_task_unique_sentence"),
                            models.UniqueConstraint(fields=("project", "remote_id"), name="ls_task_unique_remote"),
                        ],
                    },
                ),
            ],
        ),
    ]
