from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims across outlets"

    def ready(self):
        # annotate never imports claims: the ingest's post_save queues a match, and marks keep the
        # cached group status fresh (claims/tasks.py).
        from django.db.models.signals import post_delete, post_save

        from annotate.models import Adjudication, Annotation, Article

        from .tasks import article_stored, marks_changed

        post_save.connect(article_stored, sender=Article, dispatch_uid="claims-match-new-article")
        for model in (Annotation, Adjudication):
            post_save.connect(marks_changed, sender=model, dispatch_uid=f"claims-marks-save-{model.__name__}")
            post_delete.connect(marks_changed, sender=model, dispatch_uid=f"claims-marks-delete-{model.__name__}")
