"""``manage.py consensus_recompute --project N``: every due consensus again, with today's skills."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation_qc.agreement.services.consensus import consensus_recompute
from annotation_qc.projects.models import Project


class Command(BaseCommand):
    help = (
        "Recompute the consensus of every item of a project whose answers are all in, weighting the "
        "annotators by their skill as it is now (benchmarks and first-pass reviews). Manual resolutions "
        "are kept; items still in doubt go to one more annotator, as on submit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", type=int, required=True, help="the project's id")

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(pk=options["project"]).first()
        if project is None:
            raise CommandError(f"no project {options['project']}")
        recount = consensus_recompute(project=project)
        self.stdout.write(
            f"{recount.settled} item(s) settled, {recount.one_more} sent to one more annotator, "
            f"{recount.manual} manual resolution(s) kept"
        )
