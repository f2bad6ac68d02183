"""Limits of imports (sizes, and downloads of images given by URL), from ``settings.ANNOTATION_QC``
(``IMPORT_*`` keys) with these defaults."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from annotation_qc.domain.formats import ArchiveLimits

DEFAULTS = {
    # The whole upload (one request): larger gets 413 before anything is stored.
    "IMPORT_MAX_UPLOAD_BYTES": 2 << 30,
    # One annotation file (JSON, CSV, JSON Lines), uploaded or inside an archive.
    "IMPORT_MAX_DATA_FILE_BYTES": 512 << 20,
    # One image file, and its decoded size in pixels (Pillow's decompression-bomb guard).
    "IMPORT_MAX_IMAGE_BYTES": 50 << 20,
    "IMPORT_MAX_IMAGE_PIXELS": 178_956_970,
    # Archives: members, total unpacked size, and the compression ratio that marks a zip bomb.
    "IMPORT_MAX_ARCHIVE_MEMBERS": 200_000,
    "IMPORT_MAX_ARCHIVE_BYTES": 20 << 30,
    "IMPORT_MAX_COMPRESSION_RATIO": 200,
    # Items (images) per import.
    "IMPORT_MAX_ITEMS": 500_000,
    # Rejections kept in a report (the total is always given).
    "IMPORT_REPORT_MAX_ROWS": 1000,
    # Images given by URL: seconds per download, and downloads at once per import job.
    "IMPORT_FETCH_TIMEOUT_SECONDS": 15,
    "IMPORT_FETCH_CONCURRENCY": 8,
    # Worker processes that decode and measure an import's images (data health) while the import reads,
    # stores and checks the next ones; 0: in the import's own process. Imports of fewer images than
    # IMPORT_MEASURE_POOL_MIN_IMAGES measure in their own process (starting workers would cost more).
    "IMPORT_MEASURE_WORKERS": 1,
    "IMPORT_MEASURE_POOL_MIN_IMAGES": 1000,
}


@dataclass(frozen=True)
class ImportLimits:
    max_upload_bytes: int
    max_data_file_bytes: int
    max_image_bytes: int
    max_image_pixels: int
    max_items: int
    report_max_rows: int
    fetch_timeout_seconds: float
    fetch_concurrency: int
    archive: ArchiveLimits
    measure_workers: int = 0
    measure_pool_min_images: int = 0


def import_limits() -> ImportLimits:
    configured = getattr(settings, "ANNOTATION_QC", {})

    def value(key: str) -> int:
        return int(configured.get(key, DEFAULTS[key]))

    return ImportLimits(
        max_upload_bytes=value("IMPORT_MAX_UPLOAD_BYTES"),
        max_data_file_bytes=value("IMPORT_MAX_DATA_FILE_BYTES"),
        max_image_bytes=value("IMPORT_MAX_IMAGE_BYTES"),
        max_image_pixels=value("IMPORT_MAX_IMAGE_PIXELS"),
        max_items=value("IMPORT_MAX_ITEMS"),
        report_max_rows=value("IMPORT_REPORT_MAX_ROWS"),
        fetch_timeout_seconds=float(
            configured.get("IMPORT_FETCH_TIMEOUT_SECONDS", DEFAULTS["IMPORT_FETCH_TIMEOUT_SECONDS"])
        ),
        fetch_concurrency=max(1, value("IMPORT_FETCH_CONCURRENCY")),
        archive=ArchiveLimits(
            max_members=value("IMPORT_MAX_ARCHIVE_MEMBERS"),
            max_total_bytes=value("IMPORT_MAX_ARCHIVE_BYTES"),
            max_member_bytes=max(value("IMPORT_MAX_DATA_FILE_BYTES"), value("IMPORT_MAX_IMAGE_BYTES")),
            max_ratio=float(value("IMPORT_MAX_COMPRESSION_RATIO")),
        ),
        measure_workers=max(0, value("IMPORT_MEASURE_WORKERS")),
        measure_pool_min_images=max(0, value("IMPORT_MEASURE_POOL_MIN_IMAGES")),
    )
