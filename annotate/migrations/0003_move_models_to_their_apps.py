"""ExportJob, LabelStudioProject/Task and SuggestionModel now live in datasets, labelstudio and
suggestions: drop them from annotate's state only; their tables stay (and are renamed there)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0002_add_exports_labelstudio_suggestions"),
        ("datasets", "0001_move_from_annotate"),
        ("labelstudio", "0001_move_from_annotate"),
        ("suggestions", "0001_move_from_annotate"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="exportjob", name="created_by"),
                migrations.RemoveField(model_name="labelstudiotask", name="project"),
                migrations.RemoveField(model_name="labelstudiotask", name="sentence"),
                migrations.DeleteModel(name="SuggestionModel"),
                migrations.DeleteModel(name="ExportJob"),
                migrations.DeleteModel(name="LabelStudioProject"),
                migrations.DeleteModel(name="LabelStudioTask"),
            ],
        ),
    ]
