"""Re-encrypt stored webhook signing secrets under the current SECRET_KEY after a key rotation."""

from typing import Any

from django.core.management.base import BaseCommand

from annotation_qc.alerts.services.webhooks import webhook_secrets_reseal


class Command(BaseCommand):
    help = (
        "Re-encrypt every webhook signing secret under the current DJANGO_SECRET_KEY. Run it after "
        "a rotation, while the previous key is still listed in DJANGO_SECRET_KEY_FALLBACKS."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = webhook_secrets_reseal()
        self.stdout.write(f"{count} webhook secret(s) resealed under the current key.")
