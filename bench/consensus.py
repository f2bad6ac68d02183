"""Recomputing every due consensus of a classification project at once (``consensus_recompute``).

    .venv/bin/python bench/consensus.py --database postgres --items 1000000

Seeds the agreement bench's project (``bench/agreement_service.py``: every item answered by 2 of 10
annotators, one in ten by 3, about 85% agreement) with every item due and 8 of the 10 annotators with a
benchmark record, then times the service: one read of every standing answer, the vote of every item in
numpy, the dynamic-overlap decision, and the write of every consensus. Prints the seconds and the counts.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

from _setup import django_setup, fresh_database


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the recompute")
    parser.add_argument(
        "--skill-low",
        type=float,
        default=0.75,
        help="benchmark records' lowest fix rate (0.75-0.97: a trained team); lower leaves more items in "
        "doubt, which go to one more annotator (a write of each such item)",
    )
    args = parser.parse_args()
    django_setup(fresh_database(args.database, f"aqc_bench_consensus_{args.database}"))
    import numpy as np
    from agreement_service import seed

    from annotation_qc.agreement.models import Consensus
    from annotation_qc.agreement.services.consensus import consensus_recompute
    from annotation_qc.benchmarks.models import AnnotatorQuality
    from annotation_qc.labeling.models import Annotation, Item
    from annotation_qc.projects.models import Project

    started = time.perf_counter()
    project = Project.objects.get(pk=seed("classification", args.items))
    # Items answered three times were planned for three: every item is due.
    three = (
        Annotation.objects.filter(project=project).values("item_id").annotate(n=models_count()).filter(n=3)
    )
    Item.objects.filter(pk__in=three.values("item_id")).update(required_annotations=3)
    rng = np.random.default_rng(1)
    people = sorted(
        set(Annotation.objects.filter(project=project).values_list("annotator_id", flat=True)[:1000])
    )
    for person in people[:8]:
        total = int(rng.integers(10, 60))
        fixed = int(total * rng.uniform(args.skill_low, 0.97))
        AnnotatorQuality.objects.create(project=project, annotator_id=person, benchmarks=total, fixed=fixed)
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    if args.profile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        recount = profile.runcall(consensus_recompute, project=project)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    else:
        recount = consensus_recompute(project=project)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "database": args.database,
                "items": args.items,
                "seed_seconds": round(seeded, 1),
                "recompute_seconds": round(seconds, 2),
                "settled": recount.settled,
                "one_more": recount.one_more,
                "consensus_rows": Consensus.objects.filter(project=project).count(),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            },
            indent=1,
        )
    )


def models_count() -> object:
    from django.db.models import Count

    return Count("pk")


if __name__ == "__main__":
    main()
