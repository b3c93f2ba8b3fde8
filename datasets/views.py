"""The leads' exports page: queue an export, watch its progress, download the zip."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render

from annotate.roles import lead_required

from .forms import ExportForm
from .models import ExportJob
from .tasks import queue_export


@lead_required
def exports_page(request):
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        job = queue_export(form.cleaned_data["options"], user=request.user)
        messages.success(request, f"Export {job.pk} queued ({job.status}).")
        return redirect("exports:list")
    jobs = ExportJob.objects.select_related("created_by")[:50]
    busy = any(job.status in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING) for job in jobs)
    return render(request, "annotate/exports.html", {"form": form, "jobs": jobs, "busy": busy})


@lead_required
def download(request, pk):
    job = get_object_or_404(ExportJob, pk=pk, status=ExportJob.Status.DONE)
    try:
        handle = open(job.path, "rb")  # noqa: SIM115 (FileResponse closes it)
    except OSError:
        raise Http404("The file of this export is gone; queue it again.")
    return FileResponse(
        handle, as_attachment=True, filename=f"sourcemark-export-{job.pk}.zip", content_type="application/zip"
    )
