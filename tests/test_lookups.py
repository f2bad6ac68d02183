"""``field__any``: the same rows as ``field__in``, sent as one array parameter on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotation_qc.labeling.models import Item
from tests.factories import ItemFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_any_matches_what_in_matches() -> None:
    project = ProjectFactory()
    items = ItemFactory.create_batch(5, project=project)
    wanted = [items[0].external_id, items[3].external_id, "no-such-item"]
    by_any = set(Item.objects.filter(project=project, external_id__any=wanted).values_list("pk", flat=True))
    by_in = set(Item.objects.filter(project=project, external_id__in=wanted).values_list("pk", flat=True))
    assert by_any == by_in == {items[0].pk, items[3].pk}
    assert not Item.objects.filter(external_id__any=[]).exists()


@pytest.mark.postgres
def test_any_sends_one_array_parameter_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    project = ProjectFactory()
    ItemFactory.create_batch(3, project=project)
    wanted = [f"id-{i}" for i in range(5000)]
    with CaptureQueriesContext(connection) as queries:
        list(Item.objects.filter(project=project, external_id__any=wanted).values_list("pk"))
    (sql,) = [q["sql"] for q in queries.captured_queries]
    assert "= ANY(" in sql
    assert sql.count("id-") == 5000  # the values travel as one array, not as 5,000 placeholders
    assert "%s" not in sql
