"""Reads of the optimizer room: stored analyses, and what an entity's accounts propose tonight."""

from __future__ import annotations

from datetime import date

from accounts.models import Account
from optimizer.core.inputs import Side
from optimizer.core.wash import SiblingTrade
from optimizer.models import Analysis, ProposedTrade


def latest_analysis(account: Account, *, on: date | None = None) -> Analysis | None:
    """The account's latest stored analysis (of the trade date `on`, when given)."""
    analyses = Analysis.objects.filter(account=account)
    if on is not None:
        analyses = analyses.filter(trade_date=on)
    return analyses.order_by("-trade_date", "-pk").first()


def entity_proposals(account: Account, trade_date: date
                     ) -> tuple[list[SiblingTrade], dict[str, str]]:
    """The trades stored for `trade_date` in the other accounts of `account`'s tax entity (each
    account's latest analysis of the date), and the wash keys of their securities."""
    if account.tax_entity_id is None:
        return [], {}
    latest = (Analysis.objects.filter(account__tax_entity_id=account.tax_entity_id,
                                      trade_date=trade_date)
              .exclude(account_id=account.pk).order_by("account_id", "-pk")
              .distinct("account_id").values_list("pk", flat=True))
    rows = (ProposedTrade.objects.filter(analysis_id__in=list(latest))
            .order_by("analysis_id", "pk")
            .values_list("analysis__account__account_number", "analysis__account__tax_status",
                         "security_id", "security__identical_group__code", "side", "lots"))
    trades, wash_keys = [], {}
    for number, tax_status, security_id, group, side, lots in rows:
        key = str(security_id)
        wash_keys[key] = group or key
        trades.append(SiblingTrade(
            account=number, taxable=tax_status == Account.TaxStatus.TAXABLE, security=key,
            side=Side(side), sells_at_loss=any(float(lot["gain"]) < 0 for lot in lots)))
    return trades, wash_keys
