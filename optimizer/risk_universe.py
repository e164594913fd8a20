"""The risk model over the firm's whole security universe, built once per risk-model date per
worker process and shared by every account it analyzes.

Every security of the master is in the slice: one the model (and its proxies) misses gets no
factor exposure and a typical stock's specific variance, as `optimizer.account_inputs` assumes
for it. A slice is reused while its rows are unchanged: the cache is keyed by firm and model
date and checked against the row counts and largest ids of the date's exposures, covariances
and specific variances and of the security master, one cheap query per chunk. A corrected risk
file (which replaces the date's rows) or a new security therefore rebuilds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db import connection

from dataops.models import RiskCovariance, RiskExposure, RiskSpecific, Security
from optimizer.account_inputs import DEFAULT_SPECIFIC_VARIANCE
from optimizer.core.inputs import RiskModelSlice
from rebal.firm_context import require_firm

_FINGERPRINT = """
SELECT (SELECT count(*) || ':' || coalesce(max(id), 0) FROM dataops_riskexposure
         WHERE firm_id = %(firm)s AND as_of_date = %(day)s),
       (SELECT count(*) || ':' || coalesce(max(id), 0) FROM dataops_riskcovariance
         WHERE firm_id = %(firm)s AND as_of_date = %(day)s),
       (SELECT count(*) || ':' || coalesce(max(id), 0) FROM dataops_riskspecific
         WHERE firm_id = %(firm)s AND as_of_date = %(day)s),
       (SELECT count(*) || ':' || coalesce(max(id), 0) FROM dataops_security
         WHERE firm_id = %(firm)s)
"""


@dataclass(frozen=True)
class RiskUniverse:
    """The slice over every security, and which of them the model covers."""

    slice: RiskModelSlice
    covered: frozenset[str]  # securities with a specific variance from the model or a proxy

    def missing(self, keys: Sequence[str]) -> int:
        """How many of `keys` the model does not cover."""
        return sum(1 for key in keys if key not in self.covered)


_cache: dict[tuple[int, date], tuple[tuple[str, ...], RiskUniverse]] = {}


def _model_date(as_of: date) -> date:
    return (RiskExposure.objects.filter(as_of_date__lte=as_of).order_by("-as_of_date")
            .values_list("as_of_date", flat=True).first()) or as_of


def _build(model_date: date) -> RiskUniverse:
    ids = sorted(Security.objects.values_list("pk", flat=True))
    position = {pk: i for i, pk in enumerate(ids)}
    exposures = list(RiskExposure.objects.filter(as_of_date=model_date)
                     .values_list("security_id", "factor", "exposure"))
    covariances = list(RiskCovariance.objects.filter(as_of_date=model_date)
                       .values_list("factor_1", "factor_2", "covariance"))
    factors = sorted({f for _, f, _ in exposures} | {one for one, _, _ in covariances})
    index = {f: i for i, f in enumerate(factors)}
    x = np.zeros((len(ids), len(factors)))
    for security_id, factor, exposure in exposures:
        x[position[security_id], index[factor]] = float(exposure)
    f = np.zeros((len(factors), len(factors)))
    for one, two, covariance in covariances:
        f[index[one], index[two]] = f[index[two], index[one]] = float(covariance)
    specific = dict(RiskSpecific.objects.filter(as_of_date=model_date)
                    .values_list("security_id", "specific_variance"))
    delta = np.array([float(specific.get(pk, DEFAULT_SPECIFIC_VARIANCE)) for pk in ids])
    universe = RiskUniverse(
        slice=RiskModelSlice(as_of=model_date, securities=tuple(str(pk) for pk in ids),
                             factors=tuple(factors), exposures=x, factor_covariance=f,
                             specific_variance=delta),
        covered=frozenset(str(pk) for pk in specific))
    _ = universe.slice.factor_loadings  # the Cholesky factor and Lᵀ Xᵀ, once
    return universe


def risk_universe(as_of: date) -> RiskUniverse:
    """The firm's risk model of the latest date on or before `as_of`, over every security."""
    firm = require_firm()
    model_date = _model_date(as_of)
    with connection.cursor() as cursor:
        cursor.execute(_FINGERPRINT, {"firm": firm.pk, "day": model_date})
        fingerprint = tuple(cursor.fetchone() or ())
    key = (firm.pk, model_date)
    cached = _cache.get(key)
    if cached is None or cached[0] != fingerprint:
        for old in [k for k in _cache if k[0] == firm.pk]:
            del _cache[old]  # one date per firm is kept: a worker runs for many nights
        _cache[key] = cached = (fingerprint, _build(model_date))
    return cached[1]
