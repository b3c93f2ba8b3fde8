"""Background retraining of the suggestion model (django-tasks; worker: `python manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def train_suggestion_model_task(folds: int = 5) -> str:
    """Train and activate a learned suggestion model; returns what happened (see suggestions.train.train_model)."""
    from suggestions.train import train_model

    return train_model(folds=folds).message
