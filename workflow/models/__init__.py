from workflow.models.batches import (
    BatchStatus,
    BatchTrade,
    ClientConsent,
    ReleaseControl,
    TradeBatch,
)
from workflow.models.dispositions import (
    AccountDisposition,
    Disposition,
    DispositionPolicy,
    OversightList,
)
from workflow.models.events import EventKind, TradeEvent
from workflow.models.filters import SavedFilter
from workflow.models.impact import ImpactPreview, ImpactPreviewAccount
from workflow.models.kpi_summary import RunKpi
from workflow.models.latest_analysis import LatestAnalysis
from workflow.models.nightly import (
    NightlyPolicy,
    NightlyRun,
    RunAccount,
    RunChunk,
    RunStage,
    Stage,
)
from workflow.models.orders import Fill, IdempotencyRecord, Order, OrderStatus
from workflow.models.settings_rules import SettingsChangeSet, SettingsRule, SettingsRuleExemption

__all__ = [
    "AccountDisposition",
    "BatchStatus",
    "BatchTrade",
    "ClientConsent",
    "Disposition",
    "DispositionPolicy",
    "EventKind",
    "Fill",
    "IdempotencyRecord",
    "ImpactPreview",
    "ImpactPreviewAccount",
    "LatestAnalysis",
    "NightlyPolicy",
    "NightlyRun",
    "Order",
    "OrderStatus",
    "OversightList",
    "ReleaseControl",
    "RunAccount",
    "RunChunk",
    "RunKpi",
    "RunStage",
    "SavedFilter",
    "SettingsChangeSet",
    "SettingsRule",
    "SettingsRuleExemption",
    "Stage",
    "TradeBatch",
    "TradeEvent",
]
