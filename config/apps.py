from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The project's site-wide pieces; an app so that the `demo` command, which spans every app, has
    a home above them all, and so that API tokens (config/tokens.py) are revoked on a password change."""

    name = "config"
    verbose_name = "Site"

    def ready(self):
        from .tokens import connect_signals

        connect_signals()
