from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    name = "datasets"
    verbose_name = "Datasets"

    def ready(self):
        from django_tasks.signals import task_finished

        from .tasks import job_task_finished

        task_finished.connect(job_task_finished, dispatch_uid="datasets.job_task_finished")
