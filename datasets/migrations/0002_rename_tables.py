"""Give the moved tables this app's own names (annotate_* -> datasets_*)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("datasets", "0001_move_from_annotate")]

    operations = [
        migrations.AlterModelTable(name="exportjob", table=None),
    ]
