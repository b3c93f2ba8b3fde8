"""Models trained before 0003 kept a pickled pipeline, which is no longer loaded: deactivate them so
that the shipped default model (or a model retrained with `suggest train`) is the one in use."""

from django.db import migrations


def deactivate_pickled_models(apps, schema_editor):
    SuggestionModel = apps.get_model("suggestions", "SuggestionModel")
    SuggestionModel.objects.filter(parameters__isnull=True, is_active=True).update(is_active=False)


class Migration(migrations.Migration):
    dependencies = [("suggestions", "0003_label_model_as_json")]

    operations = [migrations.RunPython(deactivate_pickled_models, migrations.RunPython.noop)]
