"""Filter pages: the firm's and the person's saved filters with their live counts, and a
builder (htmx) that adds condition rows and recounts as they change; saving goes through the
service, which refuses unknown fields and bad operators by name."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.models import Account, CustomField
from rebal.access import access_object
from rebal.listing import listing
from rebal.permissions import scope_for
from rebal.views.base import firm_page
from workflow.filters import describe
from workflow.filters.fields import BUILT_IN, CUSTOM_PREFIX, OPERATOR_LABELS, OPERATORS
from workflow.filters.visible import accounts_visible_matching
from workflow.models import SavedFilter
from workflow.services.filters import saved_filter_save

FILTER_SORTS = {"name": "name", "updated": "updated_at", "created": "created_at"}
LIST_OPERATORS = {"in", "not_in", "any_of", "none_of", "between"}


def _field_choices() -> list[dict[str, Any]]:
    fields = [{"name": f.name, "label": f.label, "kind": f.kind} for f in BUILT_IN]
    for custom in CustomField.objects.order_by("name"):
        kind = {"number": "number", "date": "date", "boolean": "boolean"}.get(
            custom.field_type, "text")
        fields.append({"name": f"{CUSTOM_PREFIX}{custom.name}",
                       "label": f"Custom: {custom}", "kind": kind})
    return fields


def _operator_choices() -> list[tuple[str, str]]:
    seen = dict.fromkeys(op for ops in OPERATORS.values() for op in ops)
    return [(op, OPERATOR_LABELS[op]) for op in seen]


def _value(op: str, raw: str) -> Any:
    raw = raw.strip()
    if op in LIST_OPERATORS:
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def query_from_form(data: QueryDict) -> Any:
    """The query the builder's rows describe, or the advanced JSON when given."""
    advanced = data.get("query_json", "").strip()
    if advanced:
        try:
            return json.loads(advanced)
        except json.JSONDecodeError as error:
            raise ValidationError(f"The query is not valid JSON: {error}") from None
    conditions = []
    for field, op, raw, negate in zip(data.getlist("field"), data.getlist("op"),
                                      data.getlist("value"), data.getlist("negate"),
                                      strict=False):
        if not field:
            continue
        condition = {"field": field, "op": op, "value": _value(op, raw)}
        conditions.append({"not": condition} if negate == "not" else condition)
    return {"any" if data.get("combine") == "any" else "all": conditions}


def _rows(query: Any) -> tuple[str, list[dict[str, Any]]] | None:
    """Builder rows for a query the builder can show (one group of conditions), else None."""
    if not (isinstance(query, dict) and len(query) == 1 and next(iter(query)) in ("all", "any")):
        return None
    rows = []
    for item in next(iter(query.values())):
        negate = isinstance(item, dict) and set(item) == {"not"}
        condition = item["not"] if negate else item
        if not (isinstance(condition, dict) and "field" in condition):
            return None
        value = condition.get("value")
        rows.append({"field": condition["field"], "op": condition.get("op"), "negate": negate,
                     "value": ", ".join(map(str, value)) if isinstance(value, list) else
                     "" if value is None else str(value)})
    return next(iter(query)), rows


def _count(request: HttpRequest, query: Any) -> tuple[int | None, list[str]]:
    try:
        return accounts_visible_matching(request.user, query, timezone.localdate()).count(), []
    except ValidationError as error:
        return None, error.messages


def _count_context(request: HttpRequest, query: Any) -> dict[str, Any]:
    """The live count's partial: how many, the first few, or what is wrong with the query."""
    count, problems = _count(request, query)
    sample = list(accounts_visible_matching(request.user, query, timezone.localdate())
                  .order_by("account_number").values_list("account_number", flat=True)[:10]
                  ) if count else []
    return {"count": count, "problems": problems, "sample": sample,
            "describe": describe(query) if not problems else "",
            "total": Account.objects.for_user(request.user, "account.view").count()}


@firm_page("filter.view")
def filter_list(request: HttpRequest) -> HttpResponse:
    """The filters, a page at a time; each one's count of accounts is asked for by the page
    once shown (one query per filter, each over the whole book, would hold the page back)."""
    filters = SavedFilter.objects.for_user(request.user, "filter.view")
    shown = listing(request, filters, sorts=FILTER_SORTS, search=("name", "description"))
    return render(request, "workflow/filter_list.html", {
        **shown, "rows": [{"filter": f, "describe": describe(f.query)} for f in shown["page"]],
        "may_manage": scope_for(request.user, "filter.manage") is not None})


@firm_page("filter.view")
def filter_saved_count(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: how many accounts (of those the person may see) a saved filter selects now."""
    saved = access_object(SavedFilter, request.user, "filter.view", pk=pk)
    count = _count(request, saved.query)[0]
    return HttpResponse("—" if count is None else f"{count:,}")


def _builder(request: HttpRequest, saved: SavedFilter | None) -> HttpResponse:
    errors: list[str] = []
    form = {"name": saved.name if saved else "", "description": saved.description if saved
            else "", "shared": saved.is_shared if saved else False, "reason": ""}
    query = saved.query if saved else {"all": [{"field": "status", "op": "eq",
                                                "value": "open"}]}
    if request.method == "POST":
        form = {"name": request.POST.get("name", ""),
                "description": request.POST.get("description", ""),
                "shared": request.POST.get("shared") == "on",
                "reason": request.POST.get("reason", "")}
        try:
            query = query_from_form(request.POST)
            saved = saved_filter_save(saved_filter=saved, name=form["name"], query=query,
                                      shared=form["shared"], description=form["description"],
                                      reason=form["reason"], acting_user=request.user)
        except (ValidationError, PermissionDenied) as error:
            errors = error.messages if isinstance(error, ValidationError) else [str(error)]
        else:
            messages.success(request, f"Saved the filter {saved.name}.")
            return redirect("filter-edit", pk=saved.pk)
    shown = _rows(query)
    return render(request, "workflow/filter_builder.html", {
        "saved": saved, "form": form, "errors": errors, "combine": shown[0] if shown else "all",
        "rows": shown[1] if shown else [], "query_json": "" if shown else json.dumps(
            query, indent=2), "fields": _field_choices(), "operators": _operator_choices(),
        "may_share": scope_for(request.user, "filter.manage") == "all",
        **_count_context(request, query)})


@firm_page("filter.manage")
def filter_new(request: HttpRequest) -> HttpResponse:
    return _builder(request, None)


@firm_page("filter.view")
def filter_edit(request: HttpRequest, pk: int) -> HttpResponse:
    action = "filter.manage" if request.method == "POST" else "filter.view"
    return _builder(request, access_object(SavedFilter, request.user, action, pk=pk))


@firm_page("filter.view")
def filter_count(request: HttpRequest) -> HttpResponse:
    """htmx: the live count of the builder's query (accounts the person may see)."""
    try:
        context = _count_context(request, query_from_form(request.GET))
    except ValidationError as error:
        context = {"count": None, "problems": error.messages}
    return render(request, "workflow/_filter_count.html", context)


@firm_page("filter.view")
def filter_row(request: HttpRequest) -> HttpResponse:
    """htmx: one more empty condition row."""
    return render(request, "workflow/_filter_row.html", {
        "row": {"field": "", "op": "eq", "value": "", "negate": False},
        "fields": _field_choices(), "operators": _operator_choices()})
