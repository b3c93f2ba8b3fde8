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

        from .tasks import adjudication_changed, articles_ingested, assignment_changed, sentences_changed

        ingested.connect(articles_ingested, dispatch_uid="claims-match-ingested-articles")
        # Marks change only through annotate.services, which sends marks_changed for every write.
        marks_changed.connect(sentences_changed, dispatch_uid="claims-marks-changed")
        post_save.connect(adjudication_changed, sender=Adjudication, dispatch_uid="claims-adjudication-save")
        post_delete.connect(adjudication_changed, sender=Adjudication, dispatch_uid="claims-adjudication-delete")
        # Submitting (or reopening) an assignment makes its marks count (or stop counting).
        post_save.connect(assignment_changed, sender=Assignment, dispatch_uid="claims-assignment-save")
        post_delete.connect(assignment_changed, sender=Assignment, dispatch_uid="claims-assignment-delete")
