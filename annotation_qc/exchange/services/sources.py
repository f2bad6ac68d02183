"""Reading a stored upload back in the job: its annotation file and its images, archive or not."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage

from annotation_qc.domain.formats import (
    FormatError,
    Rejection,
    data_file_format,
    index_archive,
    read_member,
)
from annotation_qc.domain.formats.io import DATA_FILE_KIND
from annotation_qc.exchange.limits import ImportLimits
from annotation_qc.exchange.models import DataImport


@dataclass
class Source:
    """The annotation file's bytes (None for bare images), the images by name, and archive problems."""

    data: bytes | None
    data_name: str
    image_sizes: dict[str, int]
    rejected: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _archive: zipfile.ZipFile | None = None
    _paths: dict[str, str] = field(default_factory=dict)
    _limits: ImportLimits | None = None

    def read_image(self, name: str) -> bytes:
        assert self._limits is not None
        if self._archive is not None:
            return read_member(
                self._archive, name, declared=self.image_sizes[name], limit=self._limits.max_image_bytes
            )
        with default_storage.open(self._paths[name], "rb") as stream:
            content: bytes = stream.read(self._limits.max_image_bytes + 1)
        return content


def _kind_check(fmt: str, name: str, kind: str) -> None:
    wanted = DATA_FILE_KIND.get(fmt)
    if wanted is None:
        raise FormatError(
            f"format 'images' takes images only, but the upload holds the annotation file {name}"
        )
    if kind != wanted:
        raise FormatError(
            f"format {fmt} reads a .{wanted} file, but the upload's annotation file is {name} (mixed formats)"
        )


@contextmanager
def source_open(data_import: DataImport, limits: ImportLimits) -> Iterator[Source]:
    """Open the stored upload; :class:`FormatError` when it cannot be read as the import's format."""
    files: list[dict[str, Any]] = data_import.files
    archives = [f for f in files if f["role"] == "archive"]
    data_files = [f for f in files if f["role"] == "data"]
    images = {f["name"]: f for f in files if f["role"] == "image"}
    if archives:
        with default_storage.open(archives[0]["path"], "rb") as stream:
            try:
                archive = zipfile.ZipFile(stream)
            except (zipfile.BadZipFile, OSError) as exc:
                raise FormatError(f"{archives[0]['name']}: not a readable zip archive ({exc})") from exc
            with archive:
                yield _archive_source(data_import, archive, data_files, limits)
        return
    data = None
    data_name = ""
    if data_files:
        entry = data_files[0]
        data_name = entry["name"]
        if entry["size"] > limits.max_data_file_bytes:
            raise FormatError(f"{data_name}: {entry['size']} bytes; at most {limits.max_data_file_bytes}")
        with default_storage.open(entry["path"], "rb") as stream:
            data = stream.read()
    elif data_import.format != "images":
        raise FormatError(f"format {data_import.format} needs an annotation file")
    yield Source(
        data=data,
        data_name=data_name,
        image_sizes={name: f["size"] for name, f in images.items()},
        _paths={name: f["path"] for name, f in images.items()},
        _limits=limits,
    )


def _archive_source(
    data_import: DataImport, archive: zipfile.ZipFile, data_files: list[dict[str, Any]], limits: ImportLimits
) -> Source:
    index = index_archive(archive, limits.archive)
    source = Source(
        data=None,
        data_name="",
        image_sizes={m.name: m.size for m in index.images},
        rejected=list(index.rejected),
        _archive=archive,
        _limits=limits,
    )
    if index.ignored:
        source.notes.append(
            f"{len(index.ignored)} system file(s) in the archive ignored (e.g. {index.ignored[0]})"
        )
    if index.rejected:
        return source
    found = data_file_format(index.data_files)
    if found is not None and data_files:
        raise FormatError("the upload holds an annotation file both inside and beside the archive; give one")
    if found is not None:
        member, kind = found
        _kind_check(data_import.format, member.name, kind)
        source.data = read_member(
            archive, member.name, declared=member.size, limit=limits.max_data_file_bytes
        )
        source.data_name = member.name
    elif data_files:
        with default_storage.open(data_files[0]["path"], "rb") as stream:
            source.data = stream.read(limits.max_data_file_bytes + 1)
        source.data_name = data_files[0]["name"]
    elif data_import.format != "images":
        raise FormatError(f"format {data_import.format} needs an annotation file; the archive holds none")
    return source
