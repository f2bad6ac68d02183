"""Opaque public ids for items and tasks, an image token per item, and each task's dispatch ordinal."""

from django.db import migrations, models

import annotation_qc.core.tokens

BATCH = 2000


def fill_tokens(apps, schema_editor):
    from annotation_qc.core.tokens import public_token

    for model_name, fields in (("Item", ("public_id", "image_token")), ("Task", ("public_id",))):
        model = apps.get_model("labeling", model_name)
        pks = list(model.objects.values_list("pk", flat=True))
        for start in range(0, len(pks), BATCH):
            rows = [model(pk=pk, **{f: public_token() for f in fields}) for pk in pks[start : start + BATCH]]
            model.objects.bulk_update(rows, list(fields))
    # Existing tasks: their position in the annotator's sequence, in serving order.
    task = apps.get_model("labeling", "Task")
    seen: dict[tuple[int, int], int] = {}
    rows = []
    for pk, project_id, annotator_id in task.objects.order_by("served_at", "pk").values_list(
        "pk", "project_id", "annotator_id"
    ):
        key = (project_id, annotator_id)
        rows.append(task(pk=pk, ordinal=seen.get(key, 0)))
        seen[key] = seen.get(key, 0) + 1
    task.objects.bulk_update(rows, ["ordinal"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [("labeling", "0004_double_buffered_priority")]

    operations = [
        migrations.AddField("item", "public_id", models.CharField(max_length=22, null=True)),
        migrations.AddField("item", "image_token", models.CharField(max_length=22, null=True)),
        migrations.AddField("task", "public_id", models.CharField(max_length=22, null=True)),
        migrations.AddField("task", "ordinal", models.PositiveIntegerField(default=0)),
        migrations.AddField("task", "secret_version", models.PositiveIntegerField(default=0)),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            "item",
            "public_id",
            models.CharField(
                default=annotation_qc.core.tokens.public_token, editable=False, max_length=22, unique=True
            ),
        ),
        migrations.AlterField(
            "item",
            "image_token",
            models.CharField(
                default=annotation_qc.core.tokens.public_token, editable=False, max_length=22, unique=True
            ),
        ),
        migrations.AlterField(
            "task",
            "public_id",
            models.CharField(
                default=annotation_qc.core.tokens.public_token, editable=False, max_length=22, unique=True
            ),
        ),
    ]
