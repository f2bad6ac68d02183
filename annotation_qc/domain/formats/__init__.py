"""Data in and out: COCO detection, Label Studio JSON, CSV and JSON Lines, read and written as plain data.

* :mod:`.records`: what files are read into (:class:`SourceItem`, :class:`Rejection`) and written
  from (:class:`ExportRecord`);
* :mod:`.coco`, :mod:`.label_studio`, :mod:`.tabular` (CSV), :mod:`.jsonl`: one format each;
* :mod:`.archive`: zip archives and uploaded files (safe names, bombs, image signatures);
* :mod:`.io`: one entry point to read any format and to render any export, and the counts a
  manifest reports.
"""

from annotation_qc.domain.formats.archive import (
    ArchiveIndex,
    ArchiveLimits,
    ArchiveMember,
    data_file_format,
    index_archive,
    match_files,
    read_member,
    sniff_image,
    unsafe_name,
)
from annotation_qc.domain.formats.coco import build_coco, parse_coco
from annotation_qc.domain.formats.common import canonical_json, sha256_hex
from annotation_qc.domain.formats.io import (
    EXPORT_MEDIA_TYPES,
    ExportCounts,
    ExportTally,
    export_counts,
    items_from_files,
    parse_file,
    render_export,
)
from annotation_qc.domain.formats.jsonl import build_jsonl, parse_jsonl
from annotation_qc.domain.formats.label_studio import build_label_studio, parse_label_studio
from annotation_qc.domain.formats.records import (
    EXPORT_FORMATS,
    IMPORT_FORMATS,
    IMPORT_TARGETS,
    ExportFormat,
    ExportRecord,
    FormatError,
    ImportFormat,
    ImportTarget,
    LabelStatus,
    ParseOptions,
    ParseResult,
    RawAnnotation,
    Rejection,
    SourceItem,
)
from annotation_qc.domain.formats.streaming import write_export
from annotation_qc.domain.formats.tabular import build_csv, parse_csv

__all__ = [
    "EXPORT_FORMATS",
    "EXPORT_MEDIA_TYPES",
    "IMPORT_FORMATS",
    "IMPORT_TARGETS",
    "ArchiveIndex",
    "ArchiveLimits",
    "ArchiveMember",
    "ExportCounts",
    "ExportFormat",
    "ExportRecord",
    "ExportTally",
    "FormatError",
    "ImportFormat",
    "ImportTarget",
    "LabelStatus",
    "ParseOptions",
    "ParseResult",
    "RawAnnotation",
    "Rejection",
    "SourceItem",
    "build_coco",
    "build_csv",
    "build_jsonl",
    "build_label_studio",
    "canonical_json",
    "data_file_format",
    "export_counts",
    "index_archive",
    "items_from_files",
    "match_files",
    "parse_coco",
    "parse_csv",
    "parse_file",
    "parse_jsonl",
    "parse_label_studio",
    "read_member",
    "render_export",
    "sha256_hex",
    "sniff_image",
    "unsafe_name",
    "write_export",
]
