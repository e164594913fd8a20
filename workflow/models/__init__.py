from workflow.models.nightly import (
    NightlyPolicy,
    NightlyRun,
    RunAccount,
    RunChunk,
    RunStage,
    Stage,
)

__all__ = ["NightlyPolicy", "NightlyRun", "RunAccount", "RunChunk", "RunStage", "Stage"]
