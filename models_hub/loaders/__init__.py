"""The models feed: a new version of each model in the file."""

from __future__ import annotations

from collections import defaultdict

from dataops.feeds.batch import FeedBatch
from dataops.feeds.registry import register_loader
from models_hub.models import SecurityModel, SecurityModelVersion, SecurityModelWeight
from rebal.audit import bulk_create_audited
from rebal.firm_context import require_firm


def load_models(batch: FeedBatch) -> None:
    firm = require_firm()
    weights: dict[str, list[tuple[int, object]]] = defaultdict(list)
    names: dict[str, tuple[str, str, object]] = {}
    refused_models: set[str] = set()
    for row in batch.good_rows():
        values = row.values
        resolution = batch.resolver.resolve(values.get("cusip") or "", values.get("ticker") or "")
        if resolution.error or resolution.security_id is None:
            batch.refuse(row.line_number, "cusip", resolution.error or "unresolvable security")
            refused_models.add(values["model_code"])
            continue
        weights[values["model_code"]].append((resolution.security_id, values["weight"]))
        names[values["model_code"]] = (values.get("model_name") or "",
                                       values.get("provider_code") or "", values["as_of_date"])
    # A model with a refused row would not sum to 1: none of its rows load.
    codes = sorted(set(weights) - refused_models)
    existing = {m.code: m for m in SecurityModel.objects.filter(code__in=codes)}
    new = [SecurityModel(firm=firm, code=code, name=names[code][0],
                         provider_code=names[code][1]) for code in codes if code not in existing]
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
