"""Label Studio push and pull as background tasks (django-tasks), queued by the admin actions.

The server URL and token are read from settings when the task runs, never passed through the
queue (task arguments are stored in the database)."""

from __future__ import annotations

from django.conf import settings
from django_tasks import task

from .client import LabelStudioError, connect, server_settings

# .push and .pull are imported in the tasks that run them: the admin imports this module at every
# start-up, and .pull loads the attribution finder (its regular expressions) through
# suggestions.registry, which no start-up needs.


def configured() -> str | None:
    """None when LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY are set, else what is missing (one line)."""
    try:
        server_settings()
    except LabelStudioError as exc:
        return str(exc).replace("pass --url or ", "").replace("pass --token or ", "")
    return None


@task()
def push_articles(article_ids: list[int]) -> str:
    """Push the reviewable sentences of these articles to the settings' server; returns the summary."""
    from .push import DEFAULT_PROJECT_TITLE, push

    url, token = server_settings()
    title = getattr(settings, "LABEL_STUDIO_PROJECT_TITLE", "") or DEFAULT_PROJECT_TITLE
    return push(connect(url, token), url, title=title, article_ids=article_ids).summary()


@task()
def pull_articles(article_ids: list[int]) -> str:
    """Pull the annotations of these articles' sentences from every linked project on the server."""
    from labelstudio.models import LabelStudioProject

    from .pull import pull

    url, token = server_settings()
    client = connect(url, token)
    projects = list(
        LabelStudioProject.objects.filter(url=url, tasks__sentence__article_id__in=article_ids)
        .distinct()
        .values_list("remote_id", flat=True)
    )
    if not projects:
        raise LabelStudioError(f"none of these articles has been pushed to {url} yet")
    lines = []
    for remote_id in projects:
        _, report = pull(client, url, project_id=remote_id, article_ids=article_ids)
        lines.append(f"project #{remote_id}: {report.summary()}")
    return " / ".join(lines)
