"""The plain records every format reads into and writes from.

An import parses a file into :class:`SourceItem` rows (one per image) and :class:`Rejection` s
(one per bad row, naming it the way the file does: ``annotations[12]``, ``tasks[3]``, ``row 7``,
``line 5``). An export renders :class:`ExportRecord` s (one per item, with its final label and,
optionally, every annotator's raw answer).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from annotation_qc.domain.payloads import ProjectKind

#: What the annotations of an imported file become.
ImportTarget = Literal["items", "gold", "predictions"]
IMPORT_TARGETS: tuple[ImportTarget, ...] = ("items", "gold", "predictions")

#: Where an exported item's label comes from.
LabelStatus = Literal["consensus", "single", "gold", "unresolved", "pending_review"]

ExportFormat = Literal["coco", "label_studio", "csv", "jsonl"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("coco", "label_studio", "csv", "jsonl")

ImportFormat = Literal["coco", "label_studio", "csv", "jsonl", "images"]
IMPORT_FORMATS: tuple[ImportFormat, ...] = ("coco", "label_studio", "csv", "jsonl", "images")


class FormatError(ValueError):
    """The whole file is unusable (not the format it claims to be, or not parseable at all)."""


@dataclass(frozen=True)
class Rejection:
    """One rejected row of an imported file and why."""

    row: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"row": self.row, "reason": self.reason}


@dataclass(frozen=True)
class SourceItem:
    """One image of an imported file.

    ``image`` is an http(s) URL or a reference to a file of the upload (resolved by the caller);
    ``width``/``height`` are ``None`` when the file does not state them (read from the uploaded
    image). ``payload`` is the clean annotation (``None``: the file has none for this image);
    ``scores`` are per-box confidences of predictions (``None`` when the file gives none).
    """

    row: str
    external_id: str
    image: str
    width: int | None
    height: int | None
    payload: dict[str, Any] | None = None
    scores: tuple[float, ...] | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ParseResult:
    items: tuple[SourceItem, ...]
    rejected: tuple[Rejection, ...]
    #: Things left out on purpose (unused unknown categories, crowd regions), for the report.
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.rejected


@dataclass(frozen=True)
class ParseOptions:
    kind: ProjectKind
    labels: tuple[str, ...]
    target: ImportTarget = "items"
    #: The model version whose predictions to read when a file holds several (Label Studio).
    model_version: str | None = None
    max_boxes: int = 500


@dataclass(frozen=True)
class RawAnnotation:
    """One annotator's own answer to an item (exported with ``include_raw``).

    ``annotator_id`` is the user id, or a pseudonym when the project pseudonymises exports.
    """

    annotator_id: int | str
    payload: dict[str, Any]


@dataclass(frozen=True)
class ExportRecord:
    """One exported item: its image, its final label and where that comes from."""

    external_id: str
    image_url: str
    file_name: str
    width: int
    height: int
    status: LabelStatus
    payload: dict[str, Any] | None
    raw: tuple[RawAnnotation, ...] = ()
