"""The investment policy committee's pages of the model book: paginated, sortable and filterable
lists of allocations, products, programs, equivalence sets, customization limits, model hub
subscriptions and changes, and a page for each structure with what it holds. Read only: drafts
are made and decided on the workflow's pages, which preview their impact on the book."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from models_hub.models import (
    AssetAllocation,
    CustomizationLimit,
    EquivalenceSet,
    ModelChange,
    ModelSubscription,
    Program,
    SecurityModel,
)
from rebal.access import access_object
from rebal.listing import listing
from rebal.permissions import can
from rebal.views.base import firm_page


@dataclass(frozen=True)
class Listing:
    """A list page: its model, its columns (label, field), the field searched by `q`."""

    model: type[Model]
    title: str
    columns: tuple[tuple[str, str], ...]
    search: str
    detail: str  # the URL name of a row's page ("" when there is none)


LISTINGS = {
    "allocations": Listing(AssetAllocation, "Asset allocations", (
        ("Code", "code"), ("Name", "name"), ("Risk profile", "risk_profile"),
        ("Revision", "revision")), "code", "ipc-allocation-detail"),
    "products": Listing(SecurityModel, "Products (security models)", (
        ("Code", "code"), ("Name", "name"), ("Asset class", "asset_class__code"),
        ("Kind", "kind"), ("Provider", "provider_code"), ("Revision", "revision")), "code",
        "ipc-product-detail"),
    "programs": Listing(Program, "Programs", (
        ("Code", "code"), ("Name", "name"), ("Allocation", "allocation__code"),
        ("Parent program", "parent__code"), ("Revision", "revision")), "code",
        "ipc-program-detail"),
    "equivalence-sets": Listing(EquivalenceSet, "Equivalence sets", (
        ("Code", "code"), ("Name", "name")), "code", "ipc-equivalence-set-detail"),
    "limits": Listing(CustomizationLimit, "Customization limits", (
        ("Name", "name"), ("Risk profile", "risk_profile"), ("Asset class", "asset_class__code"),
        ("Largest change", "max_change"), ("Lowest weight", "min_weight"),
        ("Highest weight", "max_weight")), "name", "ipc-limit-detail"),
    "subscriptions": Listing(ModelSubscription, "Model hub subscriptions", (
        ("Provider", "provider__code"), ("Status", "status"), ("Requested", "requested_on"),
        ("Starts", "start_date"), ("Last day", "end_date"),
        ("Fee schedule", "fee_schedule__code")), "provider__code", "ipc-subscription-detail"),
    "changes": Listing(ModelChange, "Changes to the model book", (
        ("Status", "status"), ("Kind", "kind"), ("Code", "code"), ("Summary", "summary"),
        ("Proposed by", "author__email"), ("Proposed", "created_at")), "code",
        "ipc-change-detail"),
}
TABS = [(key, spec.title.split(" (")[0]) for key, spec in LISTINGS.items()]


def _percent(value: Any) -> str:
    return "—" if value is None else f"{Decimal(value) * 100:.2f}%"


def _list(request: HttpRequest, key: str) -> HttpResponse:
    spec = LISTINGS[key]
    fields = [field for _, field in spec.columns]
    rows = spec.model.objects.for_user(request.user, "model.view")  # type: ignore[attr-defined]
    if key == "changes" and request.GET.get("status"):
        rows = rows.filter(status=request.GET["status"])
    shown = listing(request, rows.values("pk", *fields), sorts={f: f for f in fields},
                    search=(spec.search,))
    percents = {"max_change", "min_weight", "max_weight"}
    table = [(row["pk"], [_percent(row[f]) if f in percents else ("—" if row[f] in (None, "")
                                                                   else row[f])
                          for f in fields]) for row in shown["page"]]
    return render(request, "models_hub/ipc_list.html", {
        **shown, "listing": spec, "key": key, "tabs": TABS, "table": table,
        "may_edit": can(request.user, "model.edit")})


def _list_page(key: str) -> Callable[[HttpRequest], HttpResponse]:
    @firm_page("model.view")
    def page(request: HttpRequest) -> HttpResponse:
        return _list(request, key)

    page.__name__ = f"{key.replace('-', '_')}_list"
    return page


allocation_list = _list_page("allocations")
product_list = _list_page("products")
program_list = _list_page("programs")
equivalence_set_list = _list_page("equivalence-sets")
limit_list = _list_page("limits")
subscription_list = _list_page("subscriptions")
change_list = _list_page("changes")


def _detail(request: HttpRequest, key: str, obj: Any, facts: list[tuple[str, Any]],
            tables: list[tuple[str, list[str], list[list[Any]]]],
            edit: str = "") -> HttpResponse:
    changes = (ModelChange.objects.filter(**{key: obj}).values(
        "pk", "status", "summary", "author__email", "created_at")[:20]
        if key in ("allocation", "product", "program") else [])
    return render(request, "models_hub/ipc_detail.html", {
        "obj": obj, "facts": facts, "tables": tables, "tabs": TABS, "changes": changes,
        "edit": edit if can(request.user, "model.edit") else ""})


@firm_page("model.view")
def allocation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = access_object(AssetAllocation, request.user, "model.view", pk=pk)
    weights = allocation.weights.select_related("asset_class").order_by("asset_class__code")
    return _detail(request, "allocation", allocation, [
        ("Name", allocation.name), ("Risk profile", allocation.get_risk_profile_display()),
        ("Revision", allocation.revision), ("Description", allocation.description or "—")],
        [("Weights", ["Asset class", "Weight"],
          [[w.asset_class.name or w.asset_class.code, _percent(w.weight)] for w in weights])],
        edit="ipc-allocation-edit")


@firm_page("model.view")
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = access_object(SecurityModel, request.user, "model.view", pk=pk)
    version = product.versions.order_by("-as_of_date", "-pk").first()
    rows = ([[w.security.ticker or w.security.cusip, _percent(w.weight)]
             for w in version.weights.select_related("security").order_by("-weight")]
            if version else [])
    return _detail(request, "product", product, [
        ("Name", product.name or "—"), ("Kind", product.get_kind_display() or "—"),
        ("Asset class", product.asset_class.code if product.asset_class else "—"),
        ("Provider", product.provider_code or "—"), ("Revision", product.revision),
        ("Weights from", version.as_of_date if version else "no weights yet")],
        [("Securities", ["Security", "Weight"], rows)], edit="ipc-product-edit")


@firm_page("model.view")
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    program = access_object(Program, request.user, "model.view", pk=pk)
    products = program.products.select_related("asset_class", "product").order_by(
        "asset_class__code")
    return _detail(request, "program", program, [
        ("Name", program.name),
        ("Allocation", program.allocation.code if program.allocation else "—"),
        ("Parent program", program.parent.code if program.parent else "—"),
        ("Excluded asset classes", ", ".join(map(str, program.excluded_asset_classes)) or "—"),
        ("Tilts", ", ".join(f"{k}: {_percent(v)}" for k, v in program.tilts.items()) or "—"),
        ("Revision", program.revision)],
        [("Products", ["Asset class", "Product"],
          [[p.asset_class.code, p.product.code] for p in products])])


@firm_page("model.view")
def equivalence_set_detail(request: HttpRequest, pk: int) -> HttpResponse:
    found = access_object(EquivalenceSet, request.user, "model.view", pk=pk)
    members = found.members.select_related("security").order_by("pk")
    return _detail(request, "equivalence_set", found, [("Name", found.name or "—")],
                   [("Members, in order of preference", ["Security", "Name"],
                     [[m.security.ticker, m.security.name] for m in members])])


@firm_page("model.view")
def limit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    limit = access_object(CustomizationLimit, request.user, "model.view", pk=pk)
    return _detail(request, "limit", limit, [
        ("Risk profile", limit.get_risk_profile_display() or "every profile"),
        ("Asset class", limit.asset_class.code), ("Largest change", _percent(limit.max_change)),
        ("Lowest weight", _percent(limit.min_weight)),
        ("Highest weight", _percent(limit.max_weight))], [])


@firm_page("model.view")
def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = access_object(ModelSubscription, request.user, "model.view", pk=pk)
    return _detail(request, "subscription", subscription, [
        ("Provider", subscription.provider.name), ("Status", subscription.get_status_display()),
        ("Requested", subscription.requested_on), ("Starts", subscription.start_date or "—"),
        ("Last day", subscription.end_date or "—"),
        ("Fee schedule", subscription.fee_schedule.code if subscription.fee_schedule else "—"),
        ("Note", subscription.note or "—")], [])
