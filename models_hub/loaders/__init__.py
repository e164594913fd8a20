"""The models feed: a new version of each model in the file.

A model loads whole or not at all: a row naming a security the master does not know (or knows
only as a placeholder) quarantines every row of its model, because the rest would not sum to 1,
and no placeholder is made — a model is not a holding, and the data manager should add the
security before a model may hold it. Each model's provider_code links it to the hub's provider
(created on first sight, so its subscriptions and fees can be set up).

An upload is a delivery of data, like prices: its version takes effect from its as_of_date
without the committee's two-person publication, which governs the firm's own changes to
allocations, products and programs (models_hub.services.publishing). A model that arrives for
the first time has no asset class, so no program can use it until the committee places it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from dataops.feeds.batch import FeedBatch
from dataops.feeds.registry import register_loader
from models_hub.models import (
    ModelProvider,
    SecurityModel,
    SecurityModelVersion,
    SecurityModelWeight,
)
from rebal.audit import audit_context, bulk_create_audited
from rebal.firm_context import require_firm


def _security_problem(batch: FeedBatch, cusip: str, ticker: str) -> tuple[int | None, str]:
    resolver = batch.resolver
    known = (cusip and cusip in resolver.by_cusip) or (ticker and ticker in resolver.by_ticker)
    name = " / ".join(part for part in (cusip, ticker) if part)
    if not known:
        return None, (f"unknown security {name}: add it to the security master before a "
                      "model holds it")
    resolution = resolver.resolve(cusip, ticker)
    if resolution.error or resolution.security_id is None:
        return None, resolution.error or "unresolvable security"
    if resolution.unknown:
        return None, (f"security {name} is still in the unknown-securities queue: resolve it "
                      "before a model holds it")
    return resolution.security_id, ""


def _providers(codes: set[str]) -> dict[str, ModelProvider]:
    found = {p.code: p for p in ModelProvider.objects.filter(code__in=codes)}
    missing = sorted(codes - set(found))
    if missing:
        firm = require_firm()
        bulk_create_audited(ModelProvider, [ModelProvider(firm=firm, code=code, name=code)
                                            for code in missing])
        found = {p.code: p for p in ModelProvider.objects.filter(code__in=codes)}
    return found


def load_models(batch: FeedBatch) -> None:
    firm = require_firm()
    weights: dict[str, list[tuple[int, Any]]] = defaultdict(list)
    lines: dict[str, list[int]] = defaultdict(list)
    names: dict[str, tuple[str, str, Any]] = {}
    refused: dict[str, tuple[int, str]] = {}
    for row in batch.good_rows():
        values = row.values
        code = values["model_code"]
        lines[code].append(row.line_number)
        names[code] = (values.get("model_name") or "", values.get("provider_code") or "",
                       values["as_of_date"])
        security_id, problem = _security_problem(batch, values.get("cusip") or "",
                                                 values.get("ticker") or "")
        if problem or security_id is None:
            batch.refuse(row.line_number, "cusip" if values.get("cusip") else "ticker", problem)
            refused.setdefault(code, (row.line_number, problem))
            continue
        weights[code].append((security_id, values["weight"]))
    for code, (line, problem) in refused.items():
        for other in lines[code]:
            if other != line and other not in batch.bad_lines:
                batch.refuse(other, "model_code",
                             f"model {code!r} not loaded: line {line} has {problem}")
    codes = sorted(set(weights) - set(refused))
    with audit_context(reason=f"file {batch.feed_file.name}"):
        providers = _providers({names[c][1] for c in codes if names[c][1]})
        existing = {m.code: m for m in SecurityModel.objects.filter(code__in=codes)}
        new = [SecurityModel(firm=firm, code=code, name=names[code][0],
                             provider_code=names[code][1],
                             provider=providers.get(names[code][1]),
                             kind=SecurityModel.Kind.THIRD_PARTY if names[code][1] else "")
               for code in codes if code not in existing]
        if new:
            bulk_create_audited(SecurityModel, new)
            existing.update({m.code: m for m in SecurityModel.objects.filter(code__in=codes)})
    loaded = 0
    for code in codes:
        version = SecurityModelVersion.objects.create(
            firm=firm, model=existing[code], as_of_date=names[code][2],
            feed_file=batch.feed_file)
        SecurityModelWeight.objects.bulk_create([
            SecurityModelWeight(firm=firm, version=version, security_id=security_id,
                                weight=weight) for security_id, weight in weights[code]])
        loaded += len(weights[code])
    batch.rows_loaded = loaded


def register() -> None:
    register_loader("models", load_models)
