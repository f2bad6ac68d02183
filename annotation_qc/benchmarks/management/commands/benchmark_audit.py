"""Audit a project's served tasks: can a client tell benchmarks from work?"""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation_qc.benchmarks.selectors import audit_body
from annotation_qc.benchmarks.services.audit import AUDIT_TASKS, benchmark_audit_run
from annotation_qc.projects.models import Project


class Command(BaseCommand):
    help = (
        "Train a cross-validated classifier on every annotator-visible feature of the project's served "
        "tasks and report the ROC AUC of telling benchmarks from work (0.5: no tell), its bootstrap "
        "interval and the most telling features. The result is stored (GET benchmark-audit/)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", type=int, required=True, help="project id")
        parser.add_argument("--limit", type=int, default=AUDIT_TASKS, help="latest served tasks to read")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(pk=options["project"]).first()
        if project is None:
            raise CommandError(f"No project {options['project']}.")
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        audit = benchmark_audit_run(project=project, limit=options["limit"])
        body = audit_body(audit)["audit"]
        if options["json"]:
            self.stdout.write(json.dumps(body, indent=1))
            return
        if body["auc"] is None:
            self.stdout.write(f"No verdict: {body['reason']} ({body['n_tasks']} tasks).")
            return
        self.stdout.write(
            f"{body['n_tasks']} served tasks, {body['n_benchmarks']} benchmarks: ROC AUC {body['auc']:.3f} "
            f"(95% interval {body['low']:.3f} to {body['high']:.3f}; 0.5: no client can tell them apart)."
        )
        self.stdout.write("Most telling features (AUC alone):")
        for feature in body["features"]:
            side = "higher" if feature["higher_on_benchmarks"] else "lower"
            self.stdout.write(f"  {feature['name']:<24} {feature['auc']:.3f} ({side} on benchmarks)")
