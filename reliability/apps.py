from django.apps import AppConfig


class ReliabilityConfig(AppConfig):
    name = "reliability"
    verbose_name = "Reliability scores"

    def ready(self):
        # Stored scores go stale when a mark, an adjudication or an assignment (submitting one
        # makes its marks count) changes: schedule a debounced recompute (reliability/tasks.py).
        # annotate never imports reliability.
        from django.db.models.signals import post_delete, post_save

        from annotate.models import Adjudication, Assignment
        from annotate.signals import marks_changed

        from .tasks import mark_scores_stale

        # Marks change only through annotate.services, which sends marks_changed for every write.
        marks_changed.connect(mark_scores_stale, dispatch_uid="scores-stale-marks")
        for model in (Adjudication, Assignment):
            post_save.connect(mark_scores_stale, sender=model, dispatch_uid=f"scores-stale-save-{model.__name__}")
            post_delete.connect(mark_scores_stale, sender=model, dispatch_uid=f"scores-stale-delete-{model.__name__}")
