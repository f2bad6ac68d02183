"""Imports and export snapshots: managers and ML engineers only (annotators 403, outsiders 404)."""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpResponse, HttpResponseBase, HttpResponseRedirect
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation_qc.core.auth import user_id
from annotation_qc.core.exceptions import Conflict, Forbidden, Gone
from annotation_qc.core.pagination import DefaultPagination, paginated_response
from annotation_qc.core.parsers import LimitedJSONParser
from annotation_qc.core.serializers import StrictSerializer
from annotation_qc.core.storage import presigned_download
from annotation_qc.core.throttles import JobStartThrottle
from annotation_qc.datahealth.models import AuditEvent
from annotation_qc.datahealth.services.audit import audit_record
from annotation_qc.domain.formats import EXPORT_FORMATS, EXPORT_MEDIA_TYPES, IMPORT_FORMATS
from annotation_qc.exchange import selectors
from annotation_qc.exchange.models import BucketSource, DataImport, ExportSnapshot
from annotation_qc.exchange.services.bucket_sources import source_create, source_sync_start
from annotation_qc.exchange.services.direct_uploads import upload_slots_create
from annotation_qc.exchange.services.exports import export_start
from annotation_qc.exchange.services.uploads import import_start, upload_size_check
from annotation_qc.projects.permissions import MANAGER, ML_ENGINEER, ProjectApi

MAX_IMAGES_PER_UPLOAD = 10_000


class ImportOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    job_id = serializers.IntegerField()
    project_id = serializers.IntegerField()
    format = serializers.CharField()
    as_ = serializers.CharField(source="target")
    model_version = serializers.CharField()
    copy_images = serializers.BooleanField()
    status = serializers.CharField()
    files = serializers.SerializerMethodField()
    size_bytes = serializers.IntegerField()
    report = serializers.JSONField()
    created_by_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_files(self, obj: DataImport) -> list[dict[str, Any]]:
        return [{"name": f["name"], "role": f["role"], "size": f["size"]} for f in obj.files]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["as"] = fields.pop("as_")
        return fields


class ExportOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    job_id = serializers.IntegerField()
    project_id = serializers.IntegerField()
    format = serializers.CharField()
    options = serializers.JSONField()
    status = serializers.CharField()
    sha256 = serializers.CharField()
    size_bytes = serializers.IntegerField()
    counts = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    created_by_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_counts(self, obj: ExportSnapshot) -> dict[str, Any] | None:
        counts: dict[str, Any] | None = obj.manifest.get("counts")
        return counts

    def get_download_url(self, obj: ExportSnapshot) -> str | None:
        return f"/api/v1/exports/{obj.pk}/download/" if obj.status == ExportSnapshot.Status.READY else None


class ExportDetailSerializer(ExportOutputSerializer):
    manifest = serializers.JSONField()
    message = serializers.CharField(source="job.message")


class ProjectImportsApi(ProjectApi):
    """Start an import (JSON ``data`` or a multipart upload) and list the project's imports.

    Poll the job at ``/api/v1/jobs/{job_id}/``; its ``result`` is the report of created items and
    rejected rows. Gold is imported by managers only.
    """

    throttle_classes = [JobStartThrottle]
    allowed_roles = frozenset({MANAGER, ML_ENGINEER})
    pagination_class = DefaultPagination  # documents the page envelope and its query parameters
    parser_classes = [LimitedJSONParser, MultiPartParser]  # JSON data, or uploaded files

    class InputSerializer(StrictSerializer):
        format = serializers.ChoiceField(choices=IMPORT_FORMATS)
        as_ = serializers.ChoiceField(choices=DataImport.Target.values, required=False, default="items")
        model_version = serializers.CharField(max_length=100, required=False, default="")
        copy_images = serializers.BooleanField(
            required=False,
            default=False,
            help_text="Download images given by URL and serve them from here (else they are referenced).",
        )
        data_ = serializers.JSONField(required=False, allow_null=True, default=None)
        file = serializers.FileField(required=False, help_text="An annotation file, or a zip with images.")
        images = serializers.ListField(
            child=serializers.FileField(), required=False, default=list, max_length=MAX_IMAGES_PER_UPLOAD
        )
        uploads = serializers.ListField(
            child=serializers.CharField(max_length=1000),
            required=False,
            default=list,
            max_length=MAX_IMAGES_PER_UPLOAD + 1,
            help_text="Tokens of files sent straight to the bucket (POST .../uploads/ gives the slots).",
        )

        def get_fields(self) -> dict[str, serializers.Field]:
            fields = super().get_fields()
            fields["as"] = fields.pop("as_")  # "as" is a Python keyword,
            fields["data"] = fields.pop("data_")  # and "data" a Serializer attribute
            return fields

    @extend_schema(responses=ImportOutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        imports = selectors.imports_of(project=self.project)
        return paginated_response(
            request=request, view=self, queryset=imports, serializer_class=ImportOutputSerializer
        )

    @extend_schema(request=InputSerializer, responses={202: dict, 413: dict})
    def post(self, request: Request, project_id: int) -> Response:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        is_json = (request.content_type or "").startswith("application/json")
        upload_size_check(
            content_length=length, limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE if is_json else None
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = data.validated_data["as"]
        if target == DataImport.Target.GOLD and self.project_role != MANAGER:
            raise Forbidden("Only managers import gold.", errors={"as": ["gold is imported by managers"]})
        data_import = import_start(
            project=self.project,
            user_id=user_id(request),
            fmt=data.validated_data["format"],
            target=target,
            model_version=data.validated_data["model_version"],
            data=data.validated_data["data"],
            file=data.validated_data.get("file"),
            images=data.validated_data["images"],
            copy_images=data.validated_data["copy_images"],
            upload_tokens=data.validated_data["uploads"],
        )
        audit_record(
            project_id=self.project.pk,
            actor_id=user_id(request),
            action=AuditEvent.Action.IMPORT,
            target=f"import {data_import.pk}",
            details={"format": data_import.format, "as": target, "files": len(data_import.files)},
        )
        body = {"import_id": data_import.pk, "job_id": data_import.job_id, "status": data_import.status}
        return Response(body, status=status.HTTP_202_ACCEPTED)


class UploadFileSerializer(StrictSerializer):
    name = serializers.CharField(max_length=255)
    size = serializers.IntegerField(min_value=1)


class ProjectUploadsApi(ProjectApi):
    """Upload slots: one presigned POST per file, straight to the bucket (object storage only).

    Send each file as the form field ``file`` after the slot's ``fields`` to its ``url``, then start
    the import with ``{"format": ..., "uploads": [token, ...]}``. Answers 409 when files are kept on
    the server's disk (send them with the import request instead).
    """

    allowed_roles = frozenset({MANAGER, ML_ENGINEER})

    class InputSerializer(StrictSerializer):
        files: serializers.ListSerializer[Any] = serializers.ListSerializer(
            child=UploadFileSerializer(), min_length=1, max_length=MAX_IMAGES_PER_UPLOAD + 1
        )

    @extend_schema(request=InputSerializer, responses={201: dict, 409: dict, 413: dict})
    def post(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slots = upload_slots_create(
            project=self.project, user_id=user_id(request), files=data.validated_data["files"]
        )
        return Response({"uploads": slots}, status=status.HTTP_201_CREATED)


class ImportDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ImportOutputSerializer)
    def get(self, request: Request, import_id: int) -> Response:
        data_import = selectors.import_for_member(import_id=import_id, user=request.user)
        return Response(ImportOutputSerializer(data_import).data)


class ProjectExportsApi(ProjectApi):
    """Start an export snapshot (built by a job) and list the project's snapshots, newest first."""

    throttle_classes = [JobStartThrottle]
    allowed_roles = frozenset({MANAGER, ML_ENGINEER})
    pagination_class = DefaultPagination  # documents the page envelope and its query parameters

    class InputSerializer(StrictSerializer):
        format = serializers.ChoiceField(choices=EXPORT_FORMATS)
        include_raw = serializers.BooleanField(required=False, default=False)
        include_gold = serializers.BooleanField(required=False, default=False)
        target_source_id = serializers.IntegerField(
            required=False,
            allow_null=True,
            default=None,
            help_text="A bucket source of the project: the export is written to <prefix>exports/ there too.",
        )

    @extend_schema(responses=ExportOutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        exports = selectors.exports_of(project=self.project)
        return paginated_response(
            request=request, view=self, queryset=exports, serializer_class=ExportOutputSerializer
        )

    @extend_schema(request=InputSerializer, responses={202: dict})
    def post(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["include_gold"] and self.project_role != MANAGER:
            raise Forbidden(
                "Gold answers are for managers.",
                errors={"include_gold": ["only managers export gold answers"]},
            )
        if data.validated_data["target_source_id"] is not None and self.project_role != MANAGER:
            raise Forbidden(
                "Only managers write exports to a bucket source.",
                errors={"target_source_id": ["bucket targets are for managers"]},
            )
        export = export_start(
            project=self.project,
            user_id=user_id(request),
            fmt=data.validated_data["format"],
            include_raw=data.validated_data["include_raw"],
            include_gold=data.validated_data["include_gold"],
            target_source_id=data.validated_data["target_source_id"],
        )
        audit_record(
            project_id=self.project.pk,
            actor_id=user_id(request),
            action=AuditEvent.Action.EXPORT,
            target=f"export {export.pk}",
            details={"format": export.format, **export.options},
        )
        body = {"export_id": export.pk, "job_id": export.job_id, "status": export.status}
        return Response(body, status=status.HTTP_202_ACCEPTED)


class ExportDetailApi(APIView):
    """An export's status and manifest (sha256, counts, annotators, agreement, benchmarks, lineage)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ExportDetailSerializer)
    def get(self, request: Request, export_id: int) -> Response:
        export = selectors.export_for_member(export_id=export_id, user=request.user)
        body = ExportDetailSerializer(export).data
        body["manifest"] = selectors.manifest_for(export=export, user=request.user)
        return Response(body)


def _export_file(export: ExportSnapshot) -> Any:
    """The export's stored file, open; 410 with a message when it is missing or unreadable."""
    if not export.file:
        raise Gone("The export's file is gone; start a new export.", errors={"export_id": ["no stored file"]})
    try:
        return export.file.open("rb")
    except OSError as exc:
        raise Gone(
            "The export's file is missing or unreadable; start a new export.",
            errors={"export_id": [f"stored file unavailable ({exc.__class__.__name__})"]},
        ) from exc


class ExportDownloadApi(APIView):
    """The export's content, with its sha256 as ``ETag`` and ``Digest`` (and ``If-None-Match`` -> 304).

    With object storage the answer is a 302 to a presigned URL of the bucket (short-lived; ask again
    for a fresh one) instead of the bytes.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            (200, "application/octet-stream"): bytes,
            302: OpenApiResponse(description="Object storage: the content at a presigned URL."),
            304: OpenApiResponse(),
            409: dict,
            410: dict,
        }
    )
    def get(self, request: Request, export_id: int) -> HttpResponseBase:
        export = selectors.export_for_member(export_id=export_id, user=request.user)
        if not selectors.export_readable_by(export=export, user=request.user):
            raise Forbidden("This export holds gold answers, which only managers may read.")
        if export.status != ExportSnapshot.Status.READY:
            raise Conflict(f"The export is not ready (status: {export.status}).")
        etag = f'"{export.sha256}"'
        digest = base64.b64encode(bytes.fromhex(export.sha256)).decode()
        headers = {
            "ETag": etag,
            "Digest": f"sha-256={digest}",
            "Repr-Digest": f"sha-256=:{digest}:",
            "Cache-Control": "private, max-age=31536000, immutable",
        }
        media_type = EXPORT_MEDIA_TYPES[export.format][0]
        name = selectors.export_file_name(
            project_name=export.project.name, export_id=export.pk, sha256=export.sha256, fmt=export.format
        )
        redirect = presigned_download(export.file.name, content_type=media_type, filename=name)
        if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
            response: HttpResponseBase = HttpResponse(status=status.HTTP_304_NOT_MODIFIED)
        elif redirect is not None:
            # Object storage: the bucket serves the bytes, through a URL that lives a few minutes.
            response = HttpResponseRedirect(redirect)
            headers["Cache-Control"] = "private, no-store"
        else:
            response = FileResponse(
                _export_file(export), as_attachment=True, filename=name, content_type=media_type
            )
        for key, value in headers.items():
            response[key] = value
        return response


class SourceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project_id = serializers.IntegerField()
    name = serializers.CharField()
    endpoint_url = serializers.CharField()
    region = serializers.CharField()
    bucket = serializers.CharField()
    prefix = serializers.CharField()
    access_key_id = serializers.CharField()
    has_secret = serializers.SerializerMethodField()
    pattern = serializers.CharField()
    manifest = serializers.CharField()
    annotation_suffix = serializers.CharField()
    prediction_suffix = serializers.CharField()
    model_version = serializers.CharField()
    annotation_file = serializers.CharField()
    cursor = serializers.CharField()
    folder_cursors = serializers.DictField(child=serializers.CharField(allow_blank=True))
    last_sync_job_id = serializers.SerializerMethodField(
        help_text="The job of the source's latest sync (its status and report), null before the first."
    )
    created_at = serializers.DateTimeField()

    def get_has_secret(self, obj: BucketSource) -> bool:
        return bool(obj.secret_access_key)

    def get_last_sync_job_id(self, obj: BucketSource) -> int | None:
        return getattr(obj, "last_sync_job_id", None)


class ProjectSourcesApi(ProjectApi):
    """Bucket sources of a project (managers): a bucket prefix whose images become items by sync.

    The secret access key is stored sealed and never shown again (``has_secret``).
    """

    allowed_roles = frozenset({MANAGER})
    pagination_class = DefaultPagination  # documents the page envelope and its query parameters

    class InputSerializer(StrictSerializer):
        name = serializers.CharField(max_length=100)
        bucket = serializers.RegexField(
            r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$", max_length=63, help_text="An S3 bucket name."
        )
        prefix = serializers.CharField(max_length=1024, required=False, allow_blank=True, default="")
        endpoint_url = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
        region = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
        access_key_id = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        secret_access_key = serializers.CharField(
            max_length=500, required=False, allow_blank=True, default="", write_only=True
        )
        pattern = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        manifest = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        annotation_suffix = serializers.CharField(
            max_length=50,
            required=False,
            allow_blank=True,
            default="",
            help_text="An annotation file beside each image (a.png and a<suffix>, JSON): the item is gold.",
        )
        prediction_suffix = serializers.CharField(
            max_length=50,
            required=False,
            allow_blank=True,
            default="",
            help_text="A prediction file beside each image (a.png and a<suffix>, JSON).",
        )
        model_version = serializers.CharField(
            max_length=100,
            required=False,
            allow_blank=True,
            default="",
            help_text="The predictions' model version.",
        )
        annotation_file = serializers.CharField(
            max_length=200,
            required=False,
            allow_blank=True,
            default="",
            help_text=(
                "The key of one annotation file for the prefix, read as imports read it (COCO .json, .jsonl, "
                ".csv): rows name images by external id (the key without the prefix); new images answered "
                "there are gold."
            ),
        )

    @extend_schema(responses=SourceOutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.sources_of(project=self.project),
            serializer_class=SourceOutputSerializer,
        )

    @extend_schema(request=InputSerializer, responses={201: SourceOutputSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        source = source_create(project=self.project, user_id=user_id(request), **data.validated_data)
        return Response(SourceOutputSerializer(source).data, status=status.HTTP_201_CREATED)


class SourceDetailApi(APIView):
    """One bucket source (managers of its project; anyone else 404). Deleting it keeps the items made
    from it, whose images are then no longer served."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=SourceOutputSerializer)
    def get(self, request: Request, source_id: int) -> Response:
        source = selectors.source_for_manager(source_id=source_id, user=request.user)
        return Response(SourceOutputSerializer(source).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, source_id: int) -> Response:
        selectors.source_for_manager(source_id=source_id, user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class SourceSyncApi(APIView):
    """Start a sync: a job lists the keys after the source's cursors, creates their items and updates
    those whose object changed. A full rescan lists every key of the prefix (and creates only what is
    missing); every ``AQC_SOURCE_FULL_RESCAN_EVERY``th sync is one by itself."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(StrictSerializer):
        full = serializers.BooleanField(
            required=False,
            default=False,
            help_text="A full rescan: list every key of the prefix, not only those after the cursor.",
        )

    class OutputSerializer(serializers.Serializer):
        sync_id = serializers.IntegerField()
        job_id = serializers.IntegerField()
        full = serializers.BooleanField(help_text="Whether this sync is a full rescan (asked or scheduled).")
        scheduled = serializers.BooleanField(help_text="A full rescan the source was due for, not asked.")

    @extend_schema(request=InputSerializer, responses={202: OutputSerializer})
    def post(self, request: Request, source_id: int) -> Response:
        source = selectors.source_for_manager(source_id=source_id, user=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sync = source_sync_start(source=source, user_id=user_id(request), full=data.validated_data["full"])
        params = sync.job.params or {}
        body = {
            "sync_id": sync.pk,
            "job_id": sync.job_id,
            "full": bool(params.get("full")),
            "scheduled": bool(params.get("scheduled")),
        }
        return Response(self.OutputSerializer(body).data, status=status.HTTP_202_ACCEPTED)
