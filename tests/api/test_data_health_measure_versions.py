"""Drift compares image statistics only with reference items measured by the same measurement version."""

from __future__ import annotations

import numpy as np
import pytest

from annotation_qc.alerts.models import Alert, AlertRule
from annotation_qc.datahealth.models import BatchReport, ItemHealth
from annotation_qc.datahealth.services.analysis import batch_analyse
from annotation_qc.datahealth.services.measure import MEASURE_VERSION
from annotation_qc.domain.data_health.images import ImageStats
from annotation_qc.labeling.models import Item
from tests.api.conftest import World
from tests.api.test_data_health_analysis import DIM, batch, label

pytestmark = pytest.mark.django_db


def measured(ids: list[int], sharpness: np.ndarray, version: int | None) -> None:
    """Give the items image statistics (all alike but the sharpness) measured by ``version``."""
    for pk, value in zip(ids, sharpness.tolist(), strict=True):
        stats = ImageStats(
            width=640,
            height=480,
            brightness=0.5,
            contrast=0.2,
            sharpness=value,
            saturation=0.3,
            histogram=(1 / 8,) * 24,
        )
        ItemHealth.objects.filter(item_id=pk).update(stats=stats.to_dict(), measure_version=version)


def sharpness(rng: np.random.Generator, n: int, scale: float = 1.0) -> np.ndarray:
    return np.exp(rng.normal(6.4, 0.1, size=n)) * scale


@pytest.fixture
def old_reference(world: World) -> World:
    """600 labeled items measured before versions were recorded (the 1/4-scale JPEG decode)."""
    Item.objects.filter(project=world.project).delete()
    rng = np.random.default_rng(0)
    _, ids = batch(world, rng.normal(size=(600, DIM)), "ref")
    measured(ids, sharpness(rng, 600), None)
    label(world, ids)
    AlertRule.objects.create(project=world.project, kind="data_drift", params={})
    return world


def test_new_measurement_version_is_no_drift_but_asks_to_remeasure(old_reference: World) -> None:
    rng = np.random.default_rng(1)
    batch_id, ids = batch(old_reference, rng.normal(size=(400, DIM)), "new")
    # The same scenes measured at 1/8 scale: the sharpness about 8% lower.
    measured(ids, sharpness(rng, 400, scale=0.92), MEASURE_VERSION)
    result = batch_analyse(data_import_id=batch_id)
    drift = result["drift"]
    assert drift["drifted"] == []
    tests = {t["statistic"]: t for t in drift["tests"]}
    assert tests["feature:image.log_sharpness"]["status"] == "reference measured differently: re-measure"
    assert tests["feature:f0"]["status"] == "tested"
    assert any("600 reference item(s) were measured by another version" in n for n in drift["notes"])
    assert not BatchReport.objects.get(data_import_id=batch_id).drifted
    assert not Alert.objects.filter(project=old_reference.project).exists()


def test_same_version_sharpness_shift_still_drifts(old_reference: World) -> None:
    world = old_reference
    rng = np.random.default_rng(2)
    ItemHealth.objects.filter(project=world.project).update(measure_version=MEASURE_VERSION)
    batch_id, ids = batch(world, rng.normal(size=(400, DIM)), "blurred")
    measured(ids, sharpness(rng, 400, scale=0.92), MEASURE_VERSION)
    result = batch_analyse(data_import_id=batch_id)
    assert result["drift"]["drifted"] == ["feature:image.log_sharpness"]
    assert result["drift"]["notes"] == []
    assert Alert.objects.filter(project=world.project, kind="data_drift").exists()
