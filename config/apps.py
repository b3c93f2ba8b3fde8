from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The project's site-wide pieces; an app only so that the `demo` command, which spans every
    app, has a home above them all."""

    name = "config"
    verbose_name = "Site"
