"""Firm A's filter, policy and settings rule for the isolation harness, made on first use and
kept on the personas object (the harness builds new personas for every test)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rebal.audit import audit_context
from rebal.firm_context import firm_context


@dataclass(frozen=True)
class WorkflowRows:
    saved_filter: Any
    policy: Any
    settings_rule: Any


def workflow_rows(personas: Any) -> WorkflowRows:
    rows = getattr(personas, "_workflow_rows", None)
    if rows is None:
        from workflow.models import DispositionPolicy, SavedFilter, SettingsRule

        code = personas.firm.code
        with firm_context(personas.firm), audit_context(system_job="tests"):
            rows = WorkflowRows(
                SavedFilter.objects.create(name=f"{code} large accounts",
                                           query={"field": "status", "op": "eq",
                                                  "value": "open"}),
                DispositionPolicy.objects.create(name=f"{code} holds", target="suspend",
                                                 query={"field": "has_hold", "op": "is",
                                                        "value": True}),
                SettingsRule.objects.create(name=f"{code} loose tracking", query={"all": []},
                                            values={"tracking": "loose"}))
        personas._workflow_rows = rows
    return rows
