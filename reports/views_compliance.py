"""Compliance's pages: the compliance list (the latest run's compliance review list, compliance
holds, the latest changes) and the audit history browser (every audited change of the firm:
who, when, what before and after, why)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from rebal.models import User
from rebal.permissions import can
from rebal.views.base import firm_page
from reports.audit_history import AuditQuery, audit_page, field_choices, model_choices
from reports.compliance_list import HOLD_SORTS, REVIEW_SORTS, compliance_holds
from workflow.models import OversightList
from workflow.oversight import latest_sorted_run, oversight_accounts, oversight_rule

PER_PAGE = 50
RECENT_CHANGES = 10


def _sorted_page(request: HttpRequest, rows: QuerySet, sorts: dict[str, str], *,
                 prefix: str = "", default: str = "") -> dict[str, Any]:
    """One page of `rows`, sorted in the database by a known column (`-` for descending);
    `prefix` names the parameters when a page holds two lists."""
    sort = request.GET.get(f"{prefix}sort", "")
    if sort.removeprefix("-") not in sorts:
        sort = default or next(iter(sorts))
    column = sorts[sort.removeprefix("-")]
    descending = sort.startswith("-")
    rows = rows.order_by(f"-{column}" if descending else column, "-pk" if descending else "pk")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get(f"{prefix}page"))
    kept = [(k, v) for k, v in request.GET.items() if v and k != f"{prefix}page"]
    return {"page": page, "sort": sort, "query": urlencode(kept),
            "sort_query": urlencode([(k, v) for k, v in kept if k != f"{prefix}sort"])}


def _headers(listing: dict[str, Any], columns: list[tuple[str, str]],
             prefix: str = "") -> list[dict[str, str]]:
    """Column headers: each a link sorting by it (reversing the current order)."""
    sort, kept = listing["sort"], listing["sort_query"]
    headers = []
    for key, label in columns:
        wanted = f"-{key}" if sort == key else key
        href = f"?{kept + '&' if kept else ''}{prefix}sort={wanted}"
        order = "ascending" if sort == key else "descending" if sort == f"-{key}" else ""
        headers.append({"label": label, "href": href, "aria_sort": order})
    return headers


@firm_page("compliance_list.view")
def compliance_dashboard(request: HttpRequest) -> HttpResponse:
    run = latest_sorted_run()
    review = oversight_accounts(run=run, oversight_list=OversightList.COMPLIANCE_REVIEW,
                                user=request.user)
    text = request.GET.get("q", "").strip()
    if text:
        review = review.filter(Q(account__account_number__icontains=text)
                               | Q(account__name__icontains=text))
    listing = _sorted_page(request, review, REVIEW_SORTS)
    holds = _sorted_page(request, compliance_holds(user=request.user), HOLD_SORTS,
                         prefix="hold_", default="-since")
    may_audit = can(request.user, "audit.view")
    recent = (audit_page(firm_id=request.firm.pk, query=AuditQuery(),  # type: ignore[attr-defined]
                         per_page=RECENT_CHANGES).entries if may_audit else [])
    return render(request, "reports/compliance_dashboard.html", {
        "run": run, "q": text, "review": listing,
        "review_rows": [(d, oversight_rule(d, OversightList.COMPLIANCE_REVIEW))
                        for d in listing["page"]],
        "review_headers": _headers(listing, [("account", "Account"), ("name", "Name"),
                                             ("disposition", "Disposition")]),
        "holds": holds,
        "hold_headers": _headers(holds, [("account", "Account"), ("reason", "Reason"),
                                         ("since", "Since")], prefix="hold_"),
        "recent": recent, "may_audit": may_audit,
        "may_view_records": can(request.user, "record.view"),
        "may_view_batches": can(request.user, "batch.review"),
    })


class AuditFilterForm(forms.Form):
    """The audit history's filters; a field is chosen within one object type."""

    model = forms.ChoiceField(label="Object type", required=False)
    object_id = forms.IntegerField(label="Object id", required=False, min_value=1,
                                   max_value=2**63 - 1)
    user = forms.ChoiceField(label="Changed by", required=False)
    start = forms.DateField(label="From (UTC)", required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (UTC)", required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))
    field = forms.ChoiceField(label="Field changed", required=False)
    order = forms.ChoiceField(label="Order", required=False,
                              choices=[("", "Newest first"), ("oldest", "Oldest first")])

    def __init__(self, *args: Any, users: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["model"].choices = [("", "All object types"), *model_choices()]
        # Choosing a type brings its fields into the field list (htmx, from this same page).
        fields["model"].widget.attrs.update({
            "hx-get": reverse("audit-history"), "hx-include": "closest form",
            "hx-target": "#id_field", "hx-select": "#id_field", "hx-swap": "outerHTML"})
        fields["user"].choices = [("", "Anyone"), *users]
        model = self.data.get("model", "")
        fields["field"].choices = [("", "Any field" if model else "Any (choose a type first)"),
                                   *field_choices(model)]

    def query(self) -> AuditQuery:
        data = self.cleaned_data
        return AuditQuery(model=data["model"], object_id=data["object_id"],
                          user_id=int(data["user"]) if data["user"] else None,
                          start=data["start"], end=data["end"], field=data["field"],
                          oldest_first=data["order"] == "oldest")


def _firm_users(firm: Any) -> list[tuple[int, str]]:
    """The firm's members, past ones included (they may have made changes)."""
    return list(User.objects.filter(memberships__firm=firm).distinct()
                .order_by("email").values_list("pk", "email"))


@firm_page("audit.view")
def audit_history(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, users=_firm_users(request.firm))  # type: ignore[attr-defined]
    query = form.query() if form.is_valid() else AuditQuery()
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    page = audit_page(firm_id=request.firm.pk, query=query, page=number)  # type: ignore[attr-defined]
    kept = urlencode([(k, v) for k, v in request.GET.items() if v and k != "page"])
    return render(request, "reports/audit_history.html", {
        "form": form, "page": page, "query": kept,
        "may_view_records": can(request.user, "record.view"),
        "may_view_batches": can(request.user, "batch.review")})
