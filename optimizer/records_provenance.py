"""Where an analysis's inputs came from, carried with the inputs to the analysis record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from accounts.settings_resolution import EffectiveSettings
from accounts.targets import ResolvedTarget

SINGLE = "single"  # optimizer.account_inputs, one account
NIGHTLY = "nightly"  # optimizer.chunk_inputs, a chunk of the nightly run


@dataclass(frozen=True)
class InputsProvenance:
    """The effective settings and resolved target with their sources, and the data read: the
    lot set and cash balance (each names its feed file), the feed files of the prices used and
    the risk model's date. `path` says which builder assembled the inputs (replay uses the same
    risk-model slice); `entity_lots` that the lots came through the tax entity's wash-sale view
    (ordered by lot id, overlay applied) rather than straight from the lot set."""

    path: str
    settings: EffectiveSettings
    target: ResolvedTarget
    lot_set_id: int | None
    cash_balance_id: int | None
    price_files: frozenset[int]
    prices_through: date | None  # the newest price date among the prices used
    risk_model_as_of: date
    entity_lots: bool
