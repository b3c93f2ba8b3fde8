from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_leads_group(sender, using, **kwargs):
    # Permissions exist only after migrate has run, so the group is kept in step here,
    # the way django.contrib.sites creates its default site.
    from .roles import ensure_leads_group

    ensure_leads_group()


class AnnotateConfig(AppConfig):
    name = "annotate"
    verbose_name = "Annotation"

    def ready(self):
        post_migrate.connect(_sync_leads_group, sender=self)
