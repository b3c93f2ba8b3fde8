from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims across outlets"

    def ready(self):
        # annotate never imports claims: its `articles_ingested` signal queues the match of new
        # articles, and marks keep the cached group status fresh (claims/tasks.py).
        from django.db.models.signals import post_delete, post_save

        from annotate.models import Adjudication, Assignment
        from annotate.signals import articles_ingested as ingested
        from annotate.signals import marks_changed

        from .tasks import articles_ingested, groups_stale

        ingested.connect(articles_ingested, dispatch_uid="claims-match-ingested-articles")
        # Marks change only through annotate.services, which sends marks_changed for every write.
        marks_changed.connect(groups_stale, dispatch_uid="claims-stale-marks")
        # Adjudications are gold labels too; submitting (or reopening) an assignment makes its marks
        # count (or stop counting).
        for model in (Adjudication, Assignment):
            post_save.connect(groups_stale, sender=model, dispatch_uid=f"claims-stale-save-{model.__name__}")
            post_delete.connect(groups_stale, sender=model, dispatch_uid=f"claims-stale-delete-{model.__name__}")
