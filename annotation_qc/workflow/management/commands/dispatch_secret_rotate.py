"""``manage.py dispatch_secret_rotate --project N``: a new dispatch secret version (old tasks keep theirs)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation_qc.projects.models import Project
from annotation_qc.workflow.secrets import dispatch_secret_rotate


class Command(BaseCommand):
    help = "Rotate a project's dispatch secret; tasks already prepared or served keep their version."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", type=int, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(pk=options["project"]).first()
        if project is None:
            raise CommandError(f"No project {options['project']}.")
        version = dispatch_secret_rotate(project=project)
        self.stdout.write(f"project {project.pk}: dispatch secret version {version}")
