"""/api/v1/exports/: leads queue dataset exports, poll their progress and download the zip."""

from django.contrib.auth.models import User
from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from annotate.permissions import IsLead
from annotate.serializers import StrictFieldsMixin

from .models import ExportJob
from .options import DEFAULT_FORMAT, FORMAT_CHOICES, LABEL_SOURCES, ExportOptions, ExportOptionsError
from .tasks import queue_export


class ExportJobSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    created_by: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "format",
            "options",
            "status",
            "progress",
            "total",
            "card",
            "error",
            "created_by",
            "created",
            "started",
            "finished",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, job) -> str | None:
        if job.status != ExportJob.Status.DONE:
            return None
        url = reverse("api:export-download", args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ExportRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    """What to export; every filter is optional (see docs/exports.md). An unknown field is a 400:
    a misspelt filter (`outlet`) would otherwise export everything."""

    format = serializers.ChoiceField(choices=FORMAT_CHOICES, default=DEFAULT_FORMAT)
    outlets = serializers.ListField(child=serializers.CharField(), required=False)
    article_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False)
    topics = serializers.ListField(child=serializers.CharField(), required=False)
    sides = serializers.ListField(child=serializers.CharField(), required=False)
    reviewers = serializers.ListField(child=serializers.CharField(), required=False)
    date_from = serializers.DateField(required=False, allow_null=True)
    date_to = serializers.DateField(required=False, allow_null=True)
    label_sources = serializers.ListField(child=serializers.ChoiceField(choices=LABEL_SOURCES), required=False)
    min_agreement = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1)
    include_other = serializers.BooleanField(default=True)
    include_unsettled = serializers.BooleanField(default=False)
    claim_groups = serializers.BooleanField(default=False, help_text="add each sentence's claim group id")
    seed = serializers.CharField(required=False, max_length=100)
    ratios = serializers.ListField(
        child=serializers.FloatField(min_value=0), min_length=3, max_length=3, required=False
    )

    def validate(self, attrs):
        try:
            return {"options": ExportOptions.from_dict(attrs)}
        except ExportOptionsError as exc:
            raise serializers.ValidationError(str(exc))


class ExportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Export jobs. POST queues one (202 with the job); GET polls status and progress;
    `download/` returns the zip once the job is done."""

    queryset = ExportJob.objects.select_related("created_by")
    serializer_class = ExportJobSerializer
    permission_classes = [IsAuthenticated, IsLead]
    filterset_fields = ["status", "format"]

    @extend_schema(
        request=ExportRequestSerializer,
        responses={202: ExportJobSerializer, 400: OpenApiResponse(OpenApiTypes.OBJECT, description="the bad option")},
    )
    def create(self, request):
        incoming = ExportRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        job = queue_export(incoming.validated_data["options"], user=request.user)
        return Response(ExportJobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiTypes.BINARY,
            409: OpenApiResponse(OpenApiTypes.OBJECT, description="the job is not done yet"),
            410: OpenApiResponse(OpenApiTypes.OBJECT, description="its file was removed: queue it again"),
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        job = self.get_object()
        if job.status != ExportJob.Status.DONE:
            return Response({"detail": f"export {job.pk} is {job.status}, not done"}, status=status.HTTP_409_CONFLICT)
        return open_download(job)


def open_download(job: ExportJob):
    """The job's zip as an attachment, or 410 when the file was removed."""
    try:
        handle = open(job.path, "rb")  # noqa: SIM115 (FileResponse closes it)
    except OSError:
        return Response({"detail": f"the file of export {job.pk} is gone; queue it again"}, status=status.HTTP_410_GONE)
    return FileResponse(
        handle, as_attachment=True, filename=f"sourcemark-export-{job.pk}.zip", content_type="application/zip"
    )
