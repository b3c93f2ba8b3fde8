"""Move ExportJob from annotate to datasets.

The table was created by annotate's migration 0002; this only moves the model's state (and its
content type, so admin history and permissions follow it). 0002 then renames the table.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(schema_editor.connection.alias).filter(
        app_label="annotate", model__in=["exportjob"]
    ).update(app_label="datasets")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(schema_editor.connection.alias).filter(
        app_label="datasets", model__in=["exportjob"]
    ).update(app_label="annotate")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("annotate", "0002_add_exports_labelstudio_suggestions"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(move_content_types, restore_content_types),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ExportJob",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("format", models.CharField(max_length=20)),
                        ("options", models.JSONField(blank=True, default=dict, help_text="filters, splits, seed")),
                        ("status", models.CharField(choices=[("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")], db_index=True, default="queued", max_length=10)),
                        ("progress", models.PositiveBigIntegerField(default=0)),
                        ("total", models.PositiveBigIntegerField(blank=True, null=True)),
                        ("path", models.CharField(blank=True, help_text="the finished folder or zip", max_length=1000)),
                        ("card", models.JSONField(blank=True, default=dict, help_text="the dataset card (dataset.json)")),
                        ("error", models.TextField(blank=True)),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        ("started", models.DateTimeField(blank=True, null=True)),
                        ("finished", models.DateTimeField(blank=True, null=True)),
                        ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="exports", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"db_table": "annotate_exportjob", "ordering": ["-created"]},
                ),
            ],
        ),
    ]
