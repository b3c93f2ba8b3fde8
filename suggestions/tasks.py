"""Background retraining of the suggestion model (django-tasks; worker: `python manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def train_suggestion_model_task(folds: int = 5) -> str:
    """Retrain on the team's gold labels plus the default data, switching only if not worse; returns
    what happened (see suggestions.train.train_model)."""
    from suggestions.train import train_model

    return train_model(folds=folds).message
