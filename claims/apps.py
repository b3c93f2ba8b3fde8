from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims across outlets"

    def ready(self):
        # annotate never imports claims: its `articles_ingested` signal queues the match of new
        # articles, and marks keep the cached group status fresh (claims/tasks.py).
        from django.db.models.signals import post_delete, post_save

        from annotate.models import Adjudication, Annotation
        from annotate.signals import articles_ingested as ingested

        from .tasks import articles_ingested, marks_changed

        ingested.connect(articles_ingested, dispatch_uid="claims-match-ingested-articles")
        for model in (Annotation, Adjudication):
            post_save.connect(marks_changed, sender=model, dispatch_uid=f"claims-marks-save-{model.__name__}")
            post_delete.connect(marks_changed, sender=model, dispatch_uid=f"claims-marks-delete-{model.__name__}")
