"""Celery tasks of the workflow: they take ids and call the pipelines."""

from __future__ import annotations

from celery import shared_task

from annotation_qc.workflow import dispatch_pipeline, gold_growth, submit_pipeline


@shared_task(name="workflow.dispatch_prepare", acks_late=True)
def dispatch_prepare(project_id: int, annotator_id: int) -> None:
    dispatch_pipeline.dispatch_prepare(project_id=project_id, annotator_id=annotator_id)


@shared_task(name="workflow.after_submit", acks_late=True)
def after_submit(task_id: int) -> None:
    submit_pipeline.after_submit(task_id=task_id)


@shared_task(name="workflow.after_skip", acks_late=True)
def after_skip(task_id: int) -> None:
    submit_pipeline.after_skip(task_id=task_id)


@shared_task(name="workflow.after_revise", acks_late=True)
def after_revise(task_id: int) -> None:
    submit_pipeline.after_revise(task_id=task_id)


@shared_task(name="workflow.unscored_benchmarks_sweep")
def unscored_benchmarks_sweep() -> int:
    """Beat: score benchmarks whose follow-up job was lost while the broker was down, and run the
    follow-up (re-scoring, review sampling, consensus) of changed answers whose after-revise job was lost."""
    return submit_pipeline.unscored_benchmarks_sweep() + submit_pipeline.revisions_follow_up_sweep()


@shared_task(name="workflow.gold_pools_grow")
def gold_pools_grow() -> int:
    """Beat: top up each project's gold pool from confirmed items (``gold_pool_target``)."""
    return gold_growth.gold_pools_grow()
