from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The project's site-wide pieces; an app so that the `demo` command, which spans every app, has
    a home above them all, so that API tokens (config/tokens.py) are revoked on a password change,
    and for the navigation's cached counts."""

    name = "config"
    verbose_name = "Site"

    def ready(self):
        from django.db.models.signals import post_delete, post_save
        from django_tasks.signals import task_enqueued
        from django_tasks_db.backend import DatabaseBackend

        from annotate.models import Adjudication, Assignment
        from annotate.signals import marks_changed

        from .context_processors import forget_disputed_count
        from .tokens import connect_signals
        from .worker import ring

        connect_signals()
        task_enqueued.connect(ring, sender=DatabaseBackend, dispatch_uid="worker-doorbell")  # wakes idle workers
        # The adjudication queue changes with marks (annotate.services sends marks_changed for
        # every write), adjudications, and submits or reopens (only submitted work counts).
        marks_changed.connect(forget_disputed_count, dispatch_uid="lead-nav-marks")
        for model in (Adjudication, Assignment):
            name = model.__name__
            post_save.connect(forget_disputed_count, sender=model, dispatch_uid=f"lead-nav-save-{name}")
            post_delete.connect(forget_disputed_count, sender=model, dispatch_uid=f"lead-nav-delete-{name}")
