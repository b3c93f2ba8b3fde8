from django.apps import AppConfig


class ReliabilityConfig(AppConfig):
    name = "reliability"
    verbose_name = "Reliability scores"

    def ready(self):
        # Stored scores go stale when a mark or an adjudication changes: schedule a debounced
        # recompute (reliability/tasks.py). annotate never imports reliability.
        from django.db.models.signals import post_delete, post_save

        from annotate.models import Adjudication, Annotation

        from .tasks import mark_scores_stale

        for model in (Annotation, Adjudication):
            post_save.connect(mark_scores_stale, sender=model, dispatch_uid=f"scores-stale-save-{model.__name__}")
            post_delete.connect(mark_scores_stale, sender=model, dispatch_uid=f"scores-stale-delete-{model.__name__}")
