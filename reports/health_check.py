"""Portfolio health check: each account's daily conformity to its parameters, from the day's
stored analysis, and the firm's responses to each call to action.

Checks of an account on a day (its latest analysis that day):
- drift: every asset class's weight within the analysis's band of its target;
- cash: the cash row within the same band of its target;
- restrictions: no restricted security or excluded asset class still held (the analysis
  proposed a forced sale of it);
- data: the account was analyzed that day with data (no analysis, or a failed one, fails).
A failed check is a call to action; `health_check_respond` records the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Prefetch

from optimizer.models import Analysis, ProposedTrade
from reports.models import HealthCheckResponse

Check = HealthCheckResponse.Check
FORCED = {"restricted", "excluded_asset_class"}
TOLERANCE = 1e-9  # float drift rows


@dataclass(frozen=True)
class Finding:
    """A check that failed, in plain English."""

    check: str
    text: str


@dataclass
class AccountHealth:
    """An account's checks on a day and the responses recorded to them."""

    account: Any
    analysis: Analysis | None
    findings: list[Finding]
    responses: list[HealthCheckResponse] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.findings

    @property
    def answered(self) -> bool:
        found = {f.check for f in self.findings}
        return found <= {r.failed_check for r in self.responses}


def _code(reason: Any) -> str:
    return str(reason.get("code", "")) if isinstance(reason, dict) else str(reason)


def findings_of(analysis: Analysis | None) -> list[Finding]:
    if analysis is None or analysis.status == "failed":
        why = analysis.summary if analysis is not None else "no analysis that day"
        return [Finding(Check.DATA, f"Not analyzed with current data: {why}")]
    found: list[Finding] = []
    band = float(analysis.calibration.get("asset_class_band", 0) or 0)
    for row in (analysis.before or {}).get("drift", []):
        drift = float(row["weight"]) - float(row["target"])
        if band and abs(drift) > band + TOLERANCE:
            check = Check.CASH if row["asset_class"] == "Cash" else Check.DRIFT
            found.append(Finding(check, f"{row['asset_class']} at {float(row['weight']):.1%} "
                                        f"against {float(row['target']):.1%} (band ±{band:.1%})"))
    forced = sorted({t.security.ticker or t.security.cusip for t in analysis.trades.all()
                     if t.reasons and _code(t.reasons[0]) in FORCED})
    if forced:
        found.append(Finding(Check.RESTRICTIONS,
                             "Holds restricted or excluded securities: " + ", ".join(forced)))
    return found


def health_check(*, accounts: Any, day: date) -> list[AccountHealth]:
    """The checks of `accounts` (scoped by the caller) on `day`, with their responses."""
    accounts = list(accounts.order_by("account_number"))
    ids = [a.pk for a in accounts]
    latest = (Analysis.objects.filter(account_id__in=ids, trade_date=day)
              .order_by("account_id", "-pk").distinct("account_id").values("pk"))
    analyses = {a.account_id: a for a in Analysis.objects.filter(pk__in=latest).prefetch_related(
        Prefetch("trades", ProposedTrade.objects.select_related("security")))}
    responses: dict[int, list[HealthCheckResponse]] = {}
    for response in (HealthCheckResponse.objects.filter(account_id__in=ids, check_date=day)
                     .select_related("responded_by").order_by("created_at", "pk")):
        responses.setdefault(response.account_id, []).append(response)
    return [AccountHealth(a, analyses.get(a.pk), findings_of(analyses.get(a.pk)),
                          responses.get(a.pk, [])) for a in accounts]


@transaction.atomic
def health_check_respond(*, account: Any, check_date: date, failed_check: str, action: str,
                         note: str, acting_user: Any) -> HealthCheckResponse:
    """Record who answered a failed check, when and with what; a note is required."""
    if not note.strip():
        raise ValueError("Say what was done (a note is required).")
    return HealthCheckResponse.objects.create(
        account=account, check_date=check_date, failed_check=failed_check, action=action,
        note=note.strip(), responded_by=acting_user)
