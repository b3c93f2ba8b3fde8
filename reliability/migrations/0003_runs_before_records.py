"""Runs stored before runs kept their per-sentence record have none: say so (record_kept=False), so
their evidence pages explain it and an old unpublished run is not published without its record."""

from django.db import migrations


def mark_runs_without_record(apps, schema_editor):
    ScoreRun = apps.get_model("reliability", "ScoreRun")
    RunSentence = apps.get_model("reliability", "RunSentence")
    ScoreRun.objects.exclude(pk__in=RunSentence.objects.values("run_id")).update(record_kept=False)


class Migration(migrations.Migration):
    dependencies = [("reliability", "0002_run_record_and_protect")]

    operations = [migrations.RunPython(mark_runs_without_record, migrations.RunPython.noop)]
