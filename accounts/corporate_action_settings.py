"""The settings a corporate action adds to its holders: a spin-off the firm keeps.

A spin-off applied under the firm's `SpinoffPolicy` "keep" puts the new security on the
do-not-sell list of every account that held the parent (every holder with an expectation of
the action that was not reversed), so the optimizer never proposes selling it. The policy is
the one recorded when the action was applied (the model book's effects of the application), so
a later change of policy applies to later spin-offs, and a correction re-applies under the
policy of its day. "sell" adds nothing: the models leave the new security out and the
optimizer may sell it; "add to model" put it in the models.

The layer's source names the action, so effective settings say why: "corporate action
CA-ABBV (spin-off ABBV kept: firm policy)". It only adds to lists, so where it comes in the
order changes no value.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from accounts.models import CorporateActionExpectation
from accounts.settings_catalog import CORPORATE_ACTION

SpinoffLayer = tuple[Any, Mapping[str, Any]]  # (settings_resolution.Source, typed values)
KEEP = "keep"


def spinoffs_kept(account_ids: Iterable[int]) -> dict[int, tuple[tuple[int, str, str, int], ...]]:
    """Account id → the spin-offs it received that the firm keeps: (action pk, action id,
    new security's ticker, new security id), in two queries whatever the number of accounts."""
    from dataops.models import CorporateActionApplication

    kept = {pk: (action_pk, action_id, ticker or cusip, security_id)
            for pk, action_pk, action_id, ticker, cusip, security_id in
            CorporateActionApplication.objects.filter(
                reversed_at__isnull=True, action__type="spinoff", action__status="applied",
                action__new_security__isnull=False, effects__model_book__policy=KEEP)
            .values_list("pk", "action_id", "action__action_id", "action__new_security__ticker",
                         "action__new_security__cusip", "action__new_security_id")}
    if not kept:
        return {}
    found: dict[int, list[tuple[int, str, str, int]]] = defaultdict(list)
    for account_id, application_id in (
            CorporateActionExpectation.objects.filter(application_id__in=list(kept),
                                                      account_id__in=list(account_ids))
            .exclude(status=CorporateActionExpectation.Status.REVERSED)
            .order_by("account_id", "action__effective_date", "action_id")
            .values_list("account_id", "application_id")):
        found[account_id].append(kept[application_id])
    return {account_id: tuple(spinoffs) for account_id, spinoffs in found.items()}


def spinoff_layers(account_ids: Iterable[int], source: Any) -> dict[int, tuple[SpinoffLayer, ...]]:
    """Account id → one do-not-sell layer per spin-off it keeps. `source(layer, label, ref)`
    makes the layer's source (settings_resolution.Source); accounts that kept the same
    spin-off share the same layer object, so they share one resolution."""
    layers: dict[int, SpinoffLayer] = {}
    out = {}
    for account_id, spinoffs in spinoffs_kept(account_ids).items():
        for action_pk, action_id, ticker, security_id in spinoffs:
            if action_pk not in layers:
                layers[action_pk] = (source(CORPORATE_ACTION, f"corporate action {action_id} "
                                            f"(spin-off {ticker} kept: firm policy)", action_pk),
                                     {"do_not_sell": frozenset({security_id})})
        out[account_id] = tuple(layers[action_pk] for action_pk, *_ in spinoffs)
    return out
