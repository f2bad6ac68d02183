"""Shapes of what the server answers, as typed dictionaries (checked against the OpenAPI schema in tests)."""

from __future__ import annotations

from typing import Any, TypedDict


class Box(TypedDict):
    x: float
    y: float
    w: float
    h: float
    label: str


class Project(TypedDict, total=False):
    id: int
    name: str
    kind: str
    labels: list[str]
    role: str | None
    settings: dict[str, Any]


class Job(TypedDict, total=False):
    id: int
    kind: str
    project: int
    status: str
    progress: float
    done: int
    total: int
    message: str
    params: dict[str, Any]
    result: Any
    attempts: int
    created_at: str
    started_at: str | None
    finished_at: str | None


class QueueEntry(TypedDict, total=False):
    item_id: int
    external_id: str
    score: float
    open_slots: int


class Export(TypedDict, total=False):
    id: int
    job_id: int
    project_id: int
    format: str
    options: dict[str, Any]
    status: str
    sha256: str | None
    size_bytes: int | None
    counts: dict[str, Any] | None
    download_url: str | None
    manifest: dict[str, Any] | None
    message: str
    created_at: str
    finished_at: str | None


class Import(TypedDict, total=False):
    id: int
    job_id: int
    project_id: int
    format: str
    status: str
    report: dict[str, Any] | None
    created_at: str
    finished_at: str | None


#: Which schema component each typed answer corresponds to (the schema test checks the keys exist there).
SCHEMA_COMPONENTS: dict[str, type] = {
    "JobOutput": Job,
    "ProjectOutput": Project,
}
