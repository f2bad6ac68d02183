"""Webhook signing secrets are stored sealed: widen the column and seal the ones stored in clear."""

from typing import Any

from django.db import migrations, models

from annotation_qc.core import sealed


def seal_stored(apps: Any, schema_editor: Any) -> None:
    Webhook = apps.get_model("alerts", "Webhook")
    clear = [w for w in Webhook.objects.exclude(secret="") if not sealed.is_sealed(w.secret)]
    for webhook in clear:
        webhook.secret = sealed.seal(webhook.secret)
    Webhook.objects.bulk_update(clear, ["secret"])


def unseal_stored(apps: Any, schema_editor: Any) -> None:
    Webhook = apps.get_model("alerts", "Webhook")
    stored = [w for w in Webhook.objects.exclude(secret="") if sealed.is_sealed(w.secret)]
    for webhook in stored:
        webhook.secret = sealed.unseal(webhook.secret)
    Webhook.objects.bulk_update(stored, ["secret"])


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="webhook",
            name="secret",
            field=models.CharField(
                blank=True,
                help_text="The signing secret, sealed under the SECRET_KEY (core/sealed.py).",
                max_length=500,
            ),
        ),
        migrations.RunPython(seal_stored, unseal_stored),
    ]
