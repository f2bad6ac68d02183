"""``manage.py benchmark_replay --project N [--annotator U] [--json]``: replay keyed dispatch."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation_qc.accounts.models import User
from annotation_qc.projects.models import Project
from annotation_qc.workflow.replay import dispatch_replay


class Command(BaseCommand):
    help = "Replay which of a project's tasks were benchmarks and what was seeded, from the dispatch secrets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", type=int, required=True)
        parser.add_argument("--annotator", help="User id or username (default: every annotator).")
        parser.add_argument("--json", action="store_true", help="One JSON object per task.")

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(pk=options["project"]).first()
        if project is None:
            raise CommandError(f"No project {options['project']}.")
        annotator_id = None
        if options["annotator"]:
            wanted = str(options["annotator"])
            user = User.objects.filter(pk=int(wanted)).first() if wanted.isdigit() else None
            user = user or User.objects.filter(username=wanted).first()
            if user is None:
                raise CommandError(f"No user {wanted!r}.")
            annotator_id = user.pk
        rows = dispatch_replay(project=project, annotator_id=annotator_id)
        for row in rows:
            if options["json"]:
                self.stdout.write(json.dumps(row.to_dict()))
            else:
                seeded = {None: "", True: " seeded=same", False: " seeded=DIFFERENT"}[row.seeded_matches]
                self.stdout.write(
                    f"{row.annotator_id}\t#{row.ordinal}\t{row.task}\tv{row.secret_version}\tserved={row.served}"
                    f"\treplayed={row.replayed or '-'}\t{row.error_kind or ''}{seeded}"
                    f"{'' if row.consistent else '  INCONSISTENT'} {row.note}".rstrip()
                )
        bad = sum(not row.consistent for row in rows)
        benchmarks = sum(row.served == "benchmark" for row in rows)
        summary = f"{len(rows)} task(s), {benchmarks} benchmark(s), {bad} inconsistent"
        if bad:
            raise CommandError(summary)
        self.stdout.write(summary)
