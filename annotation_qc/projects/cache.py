"""(user, project) -> role and project -> its row, cached in Redis for every process (see
``annotation_qc.core.shared_cache``), so a role-checked request reads neither table.

Every write to projects and memberships (saves, deletes, bulk updates and deletes; the models
call :func:`forget_projects` / :func:`forget_roles`) forgets what it changed, so a settings change,
a role change or a removal holds at once on every process. Staff rights are applied from the
authenticated user, never cached.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from annotation_qc.core import shared_cache


def role_key(user_id: int, project_id: int) -> str:
    return f"aqc:role:{user_id}:{project_id}"


def project_key(project_id: int) -> str:
    return f"aqc:project:{project_id}"


def _fields() -> tuple[str, ...]:
    from annotation_qc.projects.models import Project

    return tuple(f.attname for f in Project._meta.concrete_fields)


def project_entry(project: Any) -> tuple[tuple[str, ...], list[Any]]:
    names = _fields()
    return names, [getattr(project, name) for name in names]


def cached_access(user_id: int, project_id: int) -> tuple[Any, str | None] | None:
    """(project or None, role or None) from the cache, or None on a miss. The project is None
    only for non-members (the caller then needs it only for staff)."""
    from annotation_qc.projects.models import Project

    rkey, pkey = role_key(user_id, project_id), project_key(project_id)
    got = shared_cache.get_many([rkey, pkey])
    if rkey not in got:
        return None
    role = got[rkey] or None
    entry = got.get(pkey)
    if entry is None or entry[0] != _fields():
        return (None, None) if role is None else None
    return Project.from_db("default", list(entry[0]), list(entry[1])), role


def remember(user_id: int, project_id: int, role: str | None, project: Any | None) -> None:
    values: dict[str, Any] = {role_key(user_id, project_id): role or ""}
    if project is not None:
        values[project_key(project_id)] = project_entry(project)
    shared_cache.set_many(values)


def forget_projects(project_ids: Iterable[int]) -> None:
    shared_cache.forget(project_key(pk) for pk in project_ids)


def forget_roles(pairs: Iterable[tuple[int, int]]) -> None:
    """Forget the cached roles of these (user id, project id) pairs."""
    shared_cache.forget(role_key(user_id, project_id) for user_id, project_id in pairs)
