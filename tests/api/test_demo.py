import pytest
from django.core.management import call_command

from annotation_qc.benchmarks.models import GoldAnnotation
from annotation_qc.labeling.models import Item, Prediction
from annotation_qc.projects.models import Project
from annotation_qc.workflow.dispatch_pipeline import task_next

pytestmark = pytest.mark.django_db


def test_load_demo_builds_both_projects_and_is_rerunnable(settings, tmp_path, capsys) -> None:
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", "--digits", "20", "--scenes", "10")
    call_command("load_demo", "--digits", "20", "--scenes", "10")  # re-running resets, never duplicates
    out = capsys.readouterr().out
    assert "annotator1" in out
    assert "demo-annotator" in out
    digits = Project.objects.get(name="Demo: handwritten digits")
    shapes = Project.objects.get(name="Demo: shapes")
    assert Item.objects.filter(project=digits, is_gold=False).count() == 20
    assert digits.feature_dim == 64
    assert GoldAnnotation.objects.filter(project=digits).count() == 30
    assert GoldAnnotation.objects.filter(project=shapes).count() == 25
    assert Prediction.objects.filter(item__project=shapes).count() == 10
    annotator = digits.memberships.get(user__username="annotator1").user
    task = task_next(project=shapes, annotator_id=annotator.pk)
    assert task is not None
    assert (tmp_path / task.item.image.name).exists()
