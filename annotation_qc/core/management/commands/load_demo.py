from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from annotation_qc.demo.loader import demo_load


class Command(BaseCommand):
    help = "Load the demo users and projects (digits classification, shapes boxes). Re-running resets them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--digits", type=int, default=200)
        parser.add_argument("--scenes", type=int, default=80)

    def handle(self, *args: Any, **options: Any) -> None:
        summary = demo_load(digits=options["digits"], scenes=options["scenes"])
        self.stdout.write(self.style.SUCCESS("Demo loaded:"))
        for name, pk in summary.projects.items():
            self.stdout.write(f"  project {pk}: {name}")
        self.stdout.write("Demo logins (username / password):")
        for username, password in summary.logins.items():
            self.stdout.write(f"  {username:<11} / {password}")
