"""An account's optimizer inputs from the database: its custodian lots with Rebal's wash-sale
overlay, prices, resolved target, effective settings, the risk-model slice, its tax entity's
rates and windows (with what the entity's other accounts were proposed on the same date). The
pure core (optimizer.core) takes it from here.

While a corporate action stands between the custodian's lots and the prices, the lots the
accounts room says match the prices replace the custodian's for the securities involved
(`accounts.corporate_action_lots`); where it cannot say, the account is not analyzed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from accounts.corporate_action_lots import LotsForAnalysis, lots_for_analysis
from accounts.models import Account
from accounts.selectors import current_cash, current_lot_sets, holdings
from accounts.settings_resolution import effective_settings
from accounts.targets import resolve_target
from accounts.tax.holding_period import long_term_from
from accounts.tax_data import entity_tax_view
from dataops.models import (
    AssetClass,
    Price,
    RiskCovariance,
    RiskExposure,
    RiskSpecific,
    Security,
)
from optimizer.core.inputs import (
    AccountSnapshot,
    Costs,
    EquivalenceSet,
    Lot,
    RiskModelSlice,
    Settings,
    Target,
    TaxRates,
    TaxSensitivity,
    TaxStatus,
    Tracking,
    WashWindow,
)
from optimizer.core.inputs import Security as CoreSecurity
from optimizer.core.wash import windows_with_proposals
from optimizer.records_provenance import SINGLE, InputsProvenance
from optimizer.selectors import entity_proposals

DEFAULT_SPECIFIC_VARIANCE = 0.04  # a security the model and its proxies miss: a typical stock's


class AccountNotAnalyzable(ValueError):
    """The account's data cannot be analyzed as it stands; the message says why."""


@dataclass(frozen=True)
class AccountInputs:
    """Everything `optimizer.core.analyze` needs for one account, plus what was left out."""

    snapshot: AccountSnapshot
    target: Target
    settings: Settings
    risk: RiskModelSlice
    securities: dict[str, CoreSecurity]
    costs: Costs
    tax_rates: TaxRates
    wash_windows: tuple[WashWindow, ...]
    notes: tuple[str, ...]
    provenance: InputsProvenance | None = None  # for the analysis record (optimizer.records)

    def analyze_kwargs(self, trade_date: date) -> dict[str, Any]:
        return {"securities": self.securities, "costs": self.costs,
                "tax_rates": self.tax_rates, "trade_date": trade_date,
                "wash_windows": self.wash_windows}


def held_shares(lots: list[Lot]) -> dict[int, Decimal]:
    """Shares per security id of the core's lots (what the accounts room compares)."""
    shares: dict[int, Decimal] = {}
    for lot in lots:
        shares[int(lot.security)] = shares.get(int(lot.security), Decimal(0)) + lot.quantity
    return shares


def with_corporate_action_lots(lots: list[Lot], choice: LotsForAnalysis | None
                               ) -> tuple[list[Lot], Decimal, list[str]]:
    """The lots with the securities of each standing corporate action replaced as `choice`
    says (appended after the others, in the expectation's order), the cash the actions pay
    and a note for each."""
    if choice is None:
        return lots, Decimal(0), []
    replaced = {str(sid) for one in choice.replacements for sid in one.securities}
    kept = [lot for lot in lots if lot.security not in replaced]
    for one in choice.replacements:
        kept += [Lot(lot_id=lot.lot_id, security=lot.security, quantity=lot.quantity,
                     cost_basis=lot.cost_basis, acquired=lot.acquired_date,
                     long_term_from=long_term_from(lot.acquired_date, lot.holding_period_start))
                 for lot in one.lots]
    return (kept, sum((one.cash for one in choice.replacements), Decimal(0)),
            [one.note for one in choice.replacements])


def _ids(value: Any) -> frozenset[str]:
    return frozenset(str(getattr(item, "value", item)) for item in (value or ()))


def _settings(values: Any, cash_value: Decimal, value: Decimal) -> Settings:
    keep = values["cash_to_keep"]
    cash_to_keep = (value * keep.amount / 100 if keep.unit == "percent" else keep.amount)
    raise_ = values["cash_to_raise"]
    budget = values["annual_gain_budget"]
    return Settings(
        tax_sensitivity=TaxSensitivity(values["tax_sensitivity"]),
        tracking=Tracking(values["tracking"]),
        loss_harvesting=bool(values["loss_harvesting"]),
        minimum_loss=values["loss_harvesting_minimum"] or Decimal(0),
        gain_budget_remaining=budget,
        cash_to_keep=cash_to_keep.quantize(Decimal("0.01")),
        cash_to_raise=raise_.amount if raise_ is not None else Decimal(0),
        do_not_buy=_ids(values["do_not_buy"]), do_not_sell=_ids(values["do_not_sell"]),
        do_not_trade=_ids(values["do_not_trade"]),
        excluded_asset_classes=_excluded_codes(values["excluded_asset_classes"]),
        minimum_trade=values["minimum_trade"] or Decimal(0))


def _excluded_codes(value: Any) -> frozenset[str]:
    """The codes of the asset classes an account excludes and of every class beneath them. The
    resolved target already leaves them out; the optimizer also holds none of them (DESIGN §8:
    excluded asset classes at zero), rather than letting them drift to the edge of a band.
    One small query, only for an account that excludes something."""
    wanted = _ids(value)
    if not wanted:
        return frozenset()
    tree = list(AssetClass.objects.values_list("pk", "code", "parent_id"))
    code_of = {pk: code for pk, code, _ in tree}
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, _, parent in tree:
        children[parent].append(pk)
    stack = [pk for pk, code, _ in tree if str(pk) in wanted or code in wanted]
    codes: set[str] = set()
    while stack:
        pk = stack.pop()
        if code_of[pk] not in codes:
            codes.add(code_of[pk])
            stack.extend(children[pk])
    return frozenset(codes)


def _risk(as_of: date, keys: list[str]) -> tuple[RiskModelSlice, list[str]]:
    ids = [int(k) for k in keys]
    model_date = (RiskExposure.objects.filter(as_of_date__lte=as_of)
                  .order_by("-as_of_date").values_list("as_of_date", flat=True).first()
                  ) or as_of
    notes = []
    exposures = list(RiskExposure.objects.filter(as_of_date=model_date, security_id__in=ids)
                     .values_list("security_id", "factor", "exposure"))
    factors = sorted({f for _, f, _ in exposures} | set(
        RiskCovariance.objects.filter(as_of_date=model_date).values_list("factor_1", flat=True)))
    index = {f: i for i, f in enumerate(factors)}
    position = {sid: i for i, sid in enumerate(ids)}
    x = np.zeros((len(ids), len(factors)))
    for security_id, factor, exposure in exposures:
        x[position[security_id], index[factor]] = float(exposure)
    f = np.zeros((len(factors), len(factors)))
    for one, two, covariance in RiskCovariance.objects.filter(as_of_date=model_date).values_list(
            "factor_1", "factor_2", "covariance"):
        f[index[one], index[two]] = f[index[two], index[one]] = float(covariance)
    specific = dict(RiskSpecific.objects.filter(as_of_date=model_date, security_id__in=ids)
                    .values_list("security_id", "specific_variance"))
    missing = [sid for sid in ids if sid not in specific]
    if missing:
        notes.append(f"{len(missing)} securities lack a risk model or proxy: a typical specific "
                     "variance is assumed for them")
    delta = np.array([float(specific.get(sid, DEFAULT_SPECIFIC_VARIANCE)) for sid in ids])
    return RiskModelSlice(as_of=model_date, securities=tuple(keys),
                          factors=tuple(factors), exposures=x, factor_covariance=f,
                          specific_variance=delta), notes


def _core_security(security: Security, key: str, price: Decimal) -> CoreSecurity:
    asset_class, group = security.asset_class, security.identical_group
    return CoreSecurity(key=key, symbol=security.ticker or security.cusip, price=price,
                        asset_class=asset_class.code if asset_class is not None else "OTHER",
                        identical_group=group.code if group is not None else "")


def account_inputs(account: Account, as_of: date) -> AccountInputs:
    """The account's inputs; AccountNotAnalyzable when its lots cannot be told (a corporate
    action the custodian's lots match neither side of)."""
    notes: list[str] = []
    balance = current_cash([account.pk], as_of).get(account.pk)
    cash = balance.cash if balance is not None else Decimal(0)
    view = (entity_tax_view(tax_entity_id=account.tax_entity_id, as_of=as_of)
            if account.tax_entity_id else None)
    adjusted = {(lot.lot_id, lot.part): lot for lot in (view.adjusted_lots if view else ())
                if lot.account == account.account_number}
    lots: list[Lot] = []
    if adjusted:
        for (lot_id, part), lot in sorted(adjusted.items()):
            lots.append(Lot(lot_id=f"{lot_id}#{part}" if part else lot_id,
                            security=lot.security, quantity=lot.quantity,
                            cost_basis=lot.cost_basis, acquired=lot.acquired_date,
                            long_term_from=lot.long_term_from))
    else:
        lots = [Lot(lot_id=lot.lot_id, security=str(lot.security_id), quantity=lot.quantity,
                    cost_basis=lot.cost_basis, acquired=lot.acquired_date,
                    long_term_from=long_term_from(lot.acquired_date, lot.holding_period_start))
                for lot in holdings(account.pk, as_of).lots]
    choice = lots_for_analysis({account.pk: held_shares(lots)}, as_of).get(account.pk)
    if choice is not None and choice.refusal:
        raise AccountNotAnalyzable(choice.refusal)
    lots, action_cash, action_notes = with_corporate_action_lots(lots, choice)
    cash += action_cash
    notes.extend(action_notes)
    values = effective_settings(account)
    target = resolve_target(account, as_of, settings=values, hold_unknown_programs=False)
    notes.extend(target.errors)
    equivalents: dict[str, tuple[str, ...]] = {}
    wanted = {t for security in target.securities for t in security.satisfied_by}
    by_ticker = dict(Security.objects.filter(ticker__in=wanted).values_list("ticker", "pk"))
    for security in target.securities:
        if security.equivalence_set:
            members = [str(security.security_id), *(str(by_ticker[t]) for t in
                                                    security.satisfied_by if t in by_ticker)]
            equivalents[security.equivalence_set] = tuple(members)
    keys = sorted({lot.security for lot in lots} | {str(k) for k in target.weights}
                  | {m for members in equivalents.values() for m in members}, key=int)
    prices = {}
    price_files: dict[str, tuple[date, int]] = {}
    for security_id, close, day, file_id in (
            Price.objects.filter(security_id__in=[int(k) for k in keys], as_of_date__lte=as_of)
            .order_by("security_id", "-as_of_date").distinct("security_id")
            .values_list("security_id", "close", "as_of_date", "feed_file_id")):
        prices[str(security_id)] = close
        price_files[str(security_id)] = (day, file_id)
    unpriced = [k for k in keys if k not in prices]
    if unpriced:
        notes.append(f"{len(unpriced)} securities have no price and cannot be traded")
    keys = [k for k in keys if k in prices]
    master = Security.objects.select_related("asset_class", "identical_group").in_bulk(
        [int(k) for k in keys])
    securities = {k: _core_security(master[int(k)], k, prices[k]) for k in keys}
    lots = [lot for lot in lots if lot.security in securities]
    weights = {str(k): float(w) for k, w in target.weights.items() if str(k) in securities}
    snapshot = AccountSnapshot(account=account.account_number,
                               tax_status=TaxStatus(account.tax_status), cash=cash,
                               lots=tuple(lots))
    value = cash + sum((lot.quantity * securities[lot.security].price for lot in lots),
                            Decimal(0))
    risk, risk_notes = _risk(as_of, keys)
    notes.extend(risk_notes)
    rate = Decimal(0) if values["net_investment_income_tax"] is False else Decimal("3.8")
    tax_rates = TaxRates(
        short_term=float((values["federal_short_term_rate"] + values["state_short_term_rate"]
                          + rate) / 100),
        long_term=float((values["federal_long_term_rate"] + values["state_long_term_rate"]
                         + rate) / 100))
    windows = tuple(
        WashWindow(key=key, buy_blocked_until=w.buy_blocked_until,
                   loss_sale_blocked_until=w.loss_sale_blocked_until)
        for key, w in (view.windows.items() if view else ())
        if w.buy_blocked_until or w.loss_sale_blocked_until)
    siblings, wash_keys = entity_proposals(account, as_of)
    if siblings:
        windows = windows_with_proposals(windows, siblings, wash_keys, as_of)
    lot_set = current_lot_sets([account.pk], as_of).get(account.pk)
    used = [price_files[k] for k in keys]
    provenance = InputsProvenance(
        path=SINGLE, settings=values, target=target,
        lot_set_id=lot_set.pk if lot_set is not None else None,
        cash_balance_id=balance.pk if balance is not None else None,
        price_files=frozenset(file_id for _, file_id in used),
        prices_through=max((day for day, _ in used), default=None),
        risk_model_as_of=risk.as_of, entity_lots=bool(adjusted))
    return AccountInputs(
        snapshot=snapshot,
        target=Target(weights=weights, equivalence_sets=tuple(
            EquivalenceSet(name=name, members=tuple(m for m in members if m in securities))
            for name, members in equivalents.items())),
        settings=_settings(values, cash, value), risk=risk, securities=securities,
        costs=Costs(), tax_rates=tax_rates, wash_windows=windows, notes=tuple(notes),
        provenance=provenance)
