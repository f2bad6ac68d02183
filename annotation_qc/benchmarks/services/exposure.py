"""Which gold item a benchmark serves, so that gold reaches as many annotators as work does.

The choice itself is pure (:mod:`annotation_qc.domain.gold_exposure`); this module reads what it
needs (how many annotators the project's work items reach, the gold pool's targets so far, the
candidates) and retires over-exposed gold. It runs when a benchmark is prepared, off the request.
"""

from __future__ import annotations

from collections import Counter

from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from annotation_qc.agreement.models import Consensus
from annotation_qc.benchmarks.models import GoldAnnotation
from annotation_qc.domain.gold_exposure import (
    GoldState,
    choose_gold,
    exposure_ceiling,
    exposure_shares,
    final_exposures,
)
from annotation_qc.domain.keyed_random import keyed_generator
from annotation_qc.labeling.models import Item, Task
from annotation_qc.projects.models import Project

#: Gold items looked at per preparation, of those under way and of those not started each.
GOLD_CANDIDATES = 20
#: Served work items needed before the target is learned from them alone (before: every work item,
#: an unserved one counted at the annotations it requires).
MIN_SERVED_ITEMS = 30
EXPOSURE_CACHE_SECONDS = 60


def work_exposure_histogram(*, project: Project) -> dict[int, float]:
    """How many work items end at ``k`` annotators (:func:`final_exposures`): each at ``max(distinct
    annotators who were served it, annotations it requires)``, settled once it has no open slot, no
    live task and (if labelled more than once) its consensus; one still in flight expected to go on
    as settled ones did.

    Served items only once :data:`MIN_SERVED_ITEMS` were served; before, every work item. Cached for
    up to a minute, and recomputed sooner once the project's tasks grew by a tenth (an estimate
    from the first few dozen items must not stand for a minute of a busy project's dispatch).
    """
    key = f"aqc:work-exposure:{project.pk}"
    tasks = Task.objects.filter(project=project).count()
    cached = cache.get(key)
    if isinstance(cached, tuple) and len(cached) == 2 and tasks <= cached[0] * 1.1:
        return dict(cached[1])
    seen = (
        Task.objects.filter(item=OuterRef("pk"))
        .order_by()
        .values("item")
        .annotate(n=Count("annotator", distinct=True))
        .values("n")
    )
    items = Item.objects.filter(project=project, is_gold=False).annotate(
        seen=Coalesce(Subquery(seen), 0, output_field=IntegerField())
    )
    served = items.filter(seen__gt=0)
    learned = served.count() >= MIN_SERVED_ITEMS
    rows = (
        (served if learned else items)
        .annotate(
            reach=Greatest("seen", "required_annotations", output_field=IntegerField()),
            closed=ExpressionWrapper(Q(open_slots=0), output_field=BooleanField()),
            live=Exists(Task.objects.filter(item=OuterRef("pk"), status=Task.Status.ASSIGNED)),
            agreed=Exists(Consensus.objects.filter(item=OuterRef("pk"))),
        )
        .order_by()
        .values("reach", "required_annotations", "closed", "live", "agreed")
        .annotate(n=Count("pk"))
        .values_list("reach", "required_annotations", "closed", "live", "agreed", "n")
    )
    settled: Counter[int] = Counter()
    in_flight: Counter[int] = Counter()
    for reach, required, closed, live, agreed, n in rows:
        done = closed and not live and (required < 2 or agreed)
        (settled if done else in_flight)[int(reach)] += int(n)
    histogram = final_exposures(settled, in_flight)
    if learned:
        cache.set(key, (tasks, histogram), EXPOSURE_CACHE_SECONDS)
    return histogram


def gold_pick(
    *, project: Project, annotator_id: int, secret: bytes, ordinal: int, announced: bool
) -> tuple[GoldAnnotation, int] | None:
    """A gold item this annotator has never seen, and the number of annotators it is to reach in all.

    Announced (qualification) and hidden benchmarks draw from separate pools: an item once served
    announced is served announced only, and a hidden one never announced; an unstarted item joins
    the pool that first takes it. (An annotator told "this is a qualification task" would otherwise
    recognise it, or tell others, when it comes back hidden among work.) Within a pool, items under
    way come first and new ones are given targets that follow the work items' exposure
    (:func:`annotation_qc.domain.gold_exposure.choose_gold`, drawn by the keyed generator). Unstarted
    items already seen by as many annotators as any work item (promoted ones) are retired here.
    """
    shares = exposure_shares(work_exposure_histogram(project=project))
    live = GoldAnnotation.objects.filter(project=project, retired_at__isnull=True)
    live.filter(exposure_target__isnull=True, exposure__gte=exposure_ceiling(shares)).update(
        retired_at=timezone.now()
    )
    unseen = (
        live.exclude(item__tasks__annotator_id=annotator_id)
        .exclude(benchmarks__annotator_id=annotator_id)
        .select_related("item")
        .order_by("pk")
    )
    under_way = unseen.filter(
        announced=announced, exposure_target__isnull=False, exposure__lt=F("exposure_target")
    )
    unstarted = unseen.filter(exposure_target__isnull=True)
    candidates = list(under_way[:GOLD_CANDIDATES]) + list(unstarted[:GOLD_CANDIDATES])
    if not candidates:
        return None
    assigned = {
        int(target or 0): int(n)
        for target, n in GoldAnnotation.objects.filter(
            project=project, announced=announced, exposure_target__isnull=False
        )
        .order_by()
        .values("exposure_target")
        .annotate(n=Count("pk"))
        .values_list("exposure_target", "n")
    }
    choice = choose_gold(
        [GoldState(exposure=g.exposure, target=g.exposure_target) for g in candidates],
        shares,
        assigned,
        keyed_generator(secret, annotator_id, ordinal, "gold"),
    )
    if choice is None:
        return None
    return candidates[choice.index], choice.target
