"""Give the moved tables this app's own names (annotate_* -> suggestions_*)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("suggestions", "0001_move_from_annotate")]

    operations = [
        migrations.AlterModelTable(name="suggestionmodel", table=None),
    ]
