"""The database cache table (settings.cache_from_url: the default cache, shared by every server
process, e.g. for the sign-in throttle). Created here so that every `migrate` makes it, whichever
cache the settings name at the time; `createcachetable` does nothing when it exists."""

from django.core.management import call_command
from django.db import migrations

TABLE = "sourcemark_cache"


def create(apps, schema_editor):
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop(apps, schema_editor):
    if TABLE in schema_editor.connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("config", "0002_task_workers")]

    operations = [migrations.RunPython(create, drop)]
