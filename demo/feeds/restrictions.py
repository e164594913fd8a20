"""Restriction lists of the demo firm.

- ESG_FOSSIL "Fossil Fuel Free": every S&P 500 member of the Energy sector, the reason naming its
  GICS sub-industry.
- ESG_TOBACCO "Tobacco Free": the members of the GICS sub-industry Tobacco (MO, PM).
- FIRM_RESTRICTED "Firm Restricted List": five large-cap members drawn per seed, each with a
  reason a compliance department would write.
"""

from __future__ import annotations

from dataclasses import dataclass

from demo.feeds import seeded_random
from demo.feeds.universe import LARGE, DemoSecurity, Universe

FIRM_RESTRICTED_REASONS = (
    "Investment banking mandate: the firm may hold material non-public information",
    "The firm advises on the issuer's pending merger",
    "An officer of the firm sits on the issuer's board",
    "Research quiet period after initiation of coverage",
    "Concentrated position under compliance review",
)


@dataclass(frozen=True, slots=True)
class Restriction:
    """A security on a restriction list, with the reason it is there."""

    list_code: str
    list_name: str
    security: DemoSecurity
    reason: str


def build_restrictions(universe: Universe, *, seed: int) -> list[Restriction]:
    stocks = universe.stocks
    restrictions = [Restriction("ESG_FOSSIL", "Fossil Fuel Free", s,
                                f"Fossil fuels: {s.sub_industry}")
                    for s in stocks if s.sector == "Energy"]
    restrictions += [Restriction("ESG_TOBACCO", "Tobacco Free", s, "Tobacco producer")
                     for s in stocks if s.sub_industry == "Tobacco"]
    rng = seeded_random(seed, "restrictions")
    chosen = rng.sample([s for s in stocks if s.asset_class == LARGE],
                        len(FIRM_RESTRICTED_REASONS))
    restrictions += [Restriction("FIRM_RESTRICTED", "Firm Restricted List", s, reason)
                     for s, reason in zip(chosen, FIRM_RESTRICTED_REASONS, strict=True)]
    return restrictions
