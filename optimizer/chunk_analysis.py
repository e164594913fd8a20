"""The nightly analyze stage's unit of work: a chunk of accounts analyzed and stored together.

`chunk_analyze` is called by the workflow's chunk task inside its transaction and firm context.
The chunk's data comes in a few bulk queries (`optimizer.chunk_inputs`); the accounts of one tax
entity are solved in the order given, each seeing the proposals of those before it in its
wash-sale windows (`optimizer.core.wash`); every account that would trade is solved a second
time with taxes ignored (the tax-naive shadow the taxes-saved report compares against); the
analyses and their trades are written with two bulk inserts.

One account's failure — no price for a holding, an unresolvable target, a solver failure, bad
data, an unexpected error — becomes its outcome's plain-English reason; it never loses the
chunk. Only a database error (which aborts the caller's transaction anyway) propagates.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from accounts.settings_resolution import SettingsRule
from optimizer.account_inputs import AccountInputs
from optimizer.analysis_writes import AnalysisToWrite, analyses_write
from optimizer.chunk_inputs import chunk_inputs
from optimizer.core.analyze import analyze
from optimizer.core.inputs import OpenOrder, TaxSensitivity
from optimizer.core.outputs import Analysis as CoreAnalysis
from optimizer.core.outputs import AnalysisStatus
from optimizer.core.wash import SiblingTrade, sibling_trades, windows_with_proposals
from optimizer.records import RecordInputs
from optimizer.tax_naive import NaiveShadow, naive_shadow
from rebal.firm_context import require_firm

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountOutcome:
    """What became of one account of a chunk."""

    account_id: int
    analysis_id: int | None  # None when the account failed
    failure: str  # "" when analyzed, else a plain-English reason


@dataclass
class ChunkTimings:
    """Where a chunk's time went, in seconds (for the run row and the benchmark)."""

    load: float = 0.0
    solve: float = 0.0
    write: float = 0.0
    accounts: int = 0
    failed: int = 0
    naive_solves: int = 0
    extra: dict[str, float] = field(default_factory=dict)


def _naive(inputs: AccountInputs, result: CoreAnalysis, as_of: date,
           orders: Sequence[OpenOrder]) -> NaiveShadow | None:
    """The tax-naive shadow (see `optimizer.tax_naive`); None when it cannot be solved. A
    tax-advantaged account's problem already ignores taxes: its own trades are its shadow."""
    if not inputs.snapshot.is_taxable:
        return naive_shadow(snapshot=inputs.snapshot, trades=(),
                            turnover=result.trade_metrics.turnover, trade_date=as_of,
                            tax_rates=inputs.tax_rates)
    settings = replace(inputs.settings, tax_sensitivity=TaxSensitivity.NONE,
                       loss_harvesting=False, gain_budget_remaining=None)
    kwargs = inputs.analyze_kwargs(as_of) | {"wash_windows": ()}
    shadow = analyze(inputs.snapshot, inputs.target, settings, inputs.risk, open_orders=orders,
                     **kwargs)
    if shadow.status == AnalysisStatus.FAILED:
        return None
    return naive_shadow(snapshot=inputs.snapshot, trades=shadow.trades,
                        turnover=shadow.trade_metrics.turnover, trade_date=as_of,
                        tax_rates=inputs.tax_rates)


def _unexpected(error: Exception) -> str:
    return (f"The optimizer stopped on an unexpected error ({type(error).__name__}: {error}); "
            "the account needs a person.")


def chunk_analyze(*, account_ids: Sequence[int], as_of: date,
                  open_orders: Mapping[int, Sequence[OpenOrder]] | None = None,
                  rules: Mapping[int, Sequence[SettingsRule]] | None = None,
                  timings: ChunkTimings | None = None) -> list[AccountOutcome]:
    """Analyze and store the accounts of a chunk on `as_of`; one outcome per id, in order.

    Call inside a transaction and the firm's context. Pass every account of a tax entity in
    one chunk: the entity's accounts are solved in the order given, each seeing what the
    earlier ones propose tonight. `open_orders` maps an account id to its orders from earlier
    days still open; `rules` maps it to the settings rules covering it, in order (as for
    `accounts.settings_resolution.effective_settings_batch`). `timings`, when given, receives
    the load/solve/write split.
    """
    firm = require_firm()
    timings = timings if timings is not None else ChunkTimings()
    open_orders = open_orders or {}
    started = time.perf_counter()
    loaded = chunk_inputs(account_ids, as_of, rules=rules)
    solving = time.perf_counter()
    timings.load += solving - started

    # Where each security's substantially identical securities meet, over the whole chunk (a
    # sibling's trade may be in a security this account neither holds nor targets).
    wash_keys = {key: security.wash_key for item in loaded if item.inputs is not None
                 for key, security in item.inputs.securities.items()}
    failures: dict[int, str] = {}
    solved: dict[int, AnalysisToWrite] = {}
    tonight: dict[int, list[SiblingTrade]] = defaultdict(list)  # tax entity → proposals
    for item in loaded:
        if item.inputs is None:
            failures[item.account_id] = item.failure
            continue
        inputs = item.inputs
        orders = tuple(open_orders.get(item.account_id, ()))
        try:
            kwargs = inputs.analyze_kwargs(as_of)
            siblings = tonight.get(item.tax_entity_id) if item.tax_entity_id else None
            if siblings:
                kwargs["wash_windows"] = windows_with_proposals(
                    inputs.wash_windows, siblings, wash_keys, as_of)
            result = analyze(inputs.snapshot, inputs.target, inputs.settings, inputs.risk,
                             open_orders=orders, **kwargs)
            if result.status == AnalysisStatus.FAILED:
                failures[item.account_id] = result.summary
                continue
        except Exception as error:  # one account's bad data must not lose the chunk
            logger.exception("account %s failed to analyze", item.account_id)
            failures[item.account_id] = _unexpected(error)
            continue
        naive = None
        if result.trades:
            try:
                naive = _naive(inputs, result, as_of, orders)
            except Exception:  # the shadow is for a report: the analysis stands without it
                logger.exception("account %s: the tax-naive shadow failed", item.account_id)
            timings.naive_solves += inputs.snapshot.is_taxable
        if item.tax_entity_id and result.trades:
            tonight[item.tax_entity_id].extend(sibling_trades(
                inputs.snapshot.account, inputs.snapshot.is_taxable, result.trades))
        record = (RecordInputs(inputs.provenance, kwargs["wash_windows"], orders)
                  if inputs.provenance is not None else None)
        solved[item.account_id] = AnalysisToWrite(item.account_id, result, inputs.notes, naive,
                                                  record)
    writing = time.perf_counter()
    timings.solve += writing - solving

    ids = analyses_write(firm=firm, analyses=list(solved.values()))
    done = time.perf_counter()
    timings.write += done - writing
    timings.accounts += len(account_ids)
    timings.failed += len(failures)
    logger.info("chunk of %d accounts: load %.3f s, solve %.3f s, write %.3f s; %d failed",
                len(account_ids), solving - started, writing - solving, done - writing,
                len(failures))
    return [AccountOutcome(pk, ids[pk], "") if pk in ids else AccountOutcome(
        pk, None, failures.get(pk, "The account is not an account of this firm."))
        for pk in account_ids]
