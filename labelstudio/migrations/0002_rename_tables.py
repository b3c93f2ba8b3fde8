"""Give the moved tables this app's own names (annotate_* -> labelstudio_*)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("labelstudio", "0001_move_from_annotate")]

    operations = [
        migrations.AlterModelTable(name="labelstudioproject", table=None),
        migrations.AlterModelTable(name="labelstudiotask", table=None),
    ]
