"""Celery adapters of the workflow room: ids in, one service call. Acknowledged late and
rejected back to the queue when their worker dies; the database decides what is left to do."""

from __future__ import annotations

from rebal.celery import app, firm_task
from workflow.services import impact, nightly
from workflow.services.order_alerts import orders_unacknowledged_alert

OPTIONS = {"acks_late": True, "reject_on_worker_lost": True}


@firm_task(name="workflow.nightly_run_advance", **OPTIONS)
def nightly_run_advance_task(*, firm_id: int, run_id: int) -> str:
    return nightly.nightly_run_advance(run_id=run_id).state


@firm_task(name="workflow.run_chunk_analyze", **OPTIONS)
def run_chunk_analyze_task(*, firm_id: int, chunk_id: int) -> bool:
    return nightly.nightly_chunk_analyze(chunk_id=chunk_id)


@firm_task(name="workflow.nightly_tick", **OPTIONS)
def nightly_tick_task(*, firm_id: int) -> int:
    """Start the firm's cycle if due, alert on a missing one, sweep its running runs."""
    return nightly.nightly_tick().sweep.chunks_requeued


@app.task(name="workflow.nightly_tick_all")
def nightly_tick_all() -> int:
    """Beat: one tick per active firm, each in its own firm context."""
    from rebal.models import Firm

    firm_ids = list(Firm.objects.filter(is_active=True).values_list("pk", flat=True))
    for firm_id in firm_ids:
        nightly_tick_task.delay(firm_id=firm_id)
    return len(firm_ids)


@firm_task(name="workflow.orders_unacknowledged_sweep", **OPTIONS)
def orders_unacknowledged_sweep_task(*, firm_id: int) -> int:
    return orders_unacknowledged_alert()


@app.task(name="workflow.orders_unacknowledged_sweep_all")
def orders_unacknowledged_sweep_all() -> int:
    """Beat: each active firm's released orders checked for a late acknowledgement."""
    from rebal.models import Firm

    firm_ids = list(Firm.objects.filter(is_active=True).values_list("pk", flat=True))
    for firm_id in firm_ids:
        orders_unacknowledged_sweep_task.delay(firm_id=firm_id)
    return len(firm_ids)


@firm_task(name="workflow.impact_preview_chunk", **OPTIONS)
def impact_preview_chunk_task(*, firm_id: int, preview_id: int, offset: int) -> None:
    impact.impact_preview_continue(preview_id=preview_id, offset=offset)
