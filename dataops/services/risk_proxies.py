"""Risk-model proxies for securities the model lacks: the average of the security's sector, or
else of its asset class, recorded as a proxy with what it averaged."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from dataops.models import RiskExposure, RiskSpecific, Security
from rebal.firm_context import require_firm

QUANTUM = Decimal("0.000000000001")


def risk_proxies_fill(*, as_of: date) -> int:
    """Replace the date's proxies; returns how many securities got one. Needs both the
    exposures and the specific variances of the date, else does nothing yet."""
    modelled_exposures = RiskExposure.objects.filter(as_of_date=as_of, proxy_basis="")
    modelled_specific = RiskSpecific.objects.filter(as_of_date=as_of, proxy_basis="")
    if not modelled_exposures.exists() or not modelled_specific.exists():
        return 0
    RiskExposure.objects.filter(as_of_date=as_of).exclude(proxy_basis="").delete()
    RiskSpecific.objects.filter(as_of_date=as_of).exclude(proxy_basis="").delete()
    securities = {s.pk: s for s in Security.objects.exclude(status=Security.Status.PLACEHOLDER)
                  .only("pk", "sector", "asset_class_id")}
    exposures: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for security_id, factor, value in modelled_exposures.values_list(
            "security_id", "factor", "exposure"):
        exposures[security_id][factor] = value
    specific = dict(modelled_specific.values_list("security_id", "specific_variance"))
    covered = set(exposures) & set(specific)
    groups: dict[str, list[int]] = defaultdict(list)
    for security_id in covered:
        security = securities.get(security_id)
        if security is not None:
            if security.sector:
                groups[f"sector:{security.sector}"].append(security_id)
            if security.asset_class_id:
                groups[f"asset_class:{security.asset_class_id}"].append(security_id)
    firm = require_firm()
    new_exposures, new_specific = [], []
    for security_id, security in securities.items():
        if security_id in covered:
            continue
        basis = next((key for key in (f"sector:{security.sector}" if security.sector else "",
                                      f"asset_class:{security.asset_class_id}")
                      if key and groups.get(key)), None)
        if basis is None:
            continue
        members = groups[basis]
        factors = {f for member in members for f in exposures[member]}
        for factor in sorted(factors):
            average = sum((exposures[m].get(factor, Decimal(0)) for m in members),
                          Decimal(0)) / len(members)
            new_exposures.append(RiskExposure(
                firm=firm, security_id=security_id, as_of_date=as_of, factor=factor,
                exposure=average.quantize(Decimal("0.0000000001")), proxy_basis=basis))
        average_specific = sum((specific[m] for m in members), Decimal(0)) / len(members)
        new_specific.append(RiskSpecific(firm=firm, security_id=security_id, as_of_date=as_of,
                                         specific_variance=average_specific.quantize(QUANTUM),
                                         proxy_basis=basis))
    RiskExposure.objects.bulk_create(new_exposures, batch_size=5000)
    RiskSpecific.objects.bulk_create(new_specific, batch_size=5000)
    return len(new_specific)
