"""Writes of the model book and the model hub."""

from models_hub.services.hub import (
    FollowingValue,
    billing_statement_issue,
    fee_accruals_record,
    fee_schedule_save,
    provider_save,
    subscription_activate,
    subscription_request,
    subscription_terminate,
)
from models_hub.services.publishing import (
    allocation_propose,
    model_change_approve,
    model_change_record_impact,
    model_change_reject,
    model_change_withdraw,
    product_propose,
    program_propose,
)
from models_hub.services.reference import (
    approved_alternative_add,
    approved_alternative_remove,
    customization_limit_delete,
    customization_limit_save,
    equivalence_set_delete,
    equivalence_set_save,
)

__all__ = [
    "FollowingValue", "allocation_propose", "approved_alternative_add",
    "approved_alternative_remove", "billing_statement_issue", "customization_limit_delete",
    "customization_limit_save", "equivalence_set_delete", "equivalence_set_save",
    "fee_accruals_record", "fee_schedule_save", "model_change_approve",
    "model_change_record_impact", "model_change_reject", "model_change_withdraw",
    "product_propose", "program_propose", "provider_save", "subscription_activate",
    "subscription_request", "subscription_terminate",
]
