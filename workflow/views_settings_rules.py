"""Settings rules pages: the firm's rules; a rule's form (a filter, one setting, exemptions
with reasons) with a preview of the accounts affected and the change per account, then
applying it as one change set with its reason."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.models import Account
from accounts.settings_catalog import CATALOG, RULE
from rebal.access import access_object
from rebal.listing import listing
from rebal.permissions import can
from rebal.views.base import firm_page
from workflow.filters import describe
from workflow.models import SavedFilter, SettingsChangeSet, SettingsRule
from workflow.services.settings_rules import settings_rule_apply, settings_rule_preview

RULE_SORTS = {"order": "position", "name": "name", "exempt": "exempt",
              "applied": "last_applied_at"}
RULE_SETTINGS = [s for s in CATALOG.values() if RULE in s.layers]


@firm_page("settings_rule.view")
def settings_rule_list(request: HttpRequest) -> HttpResponse:
    last = SettingsChangeSet.objects.filter(rule=OuterRef("pk")).order_by("-applied_at", "-pk")
    rules = (SettingsRule.objects.for_user(request.user, "settings_rule.view")
             .annotate(exempt=Count("exemptions"),
                       last_applied_at=Subquery(last.values("applied_at")[:1]),
                       last_reason=Subquery(last.values("reason")[:1])))
    if request.GET.get("active") in ("yes", "no"):
        rules = rules.filter(is_active=request.GET["active"] == "yes")
    shown = listing(request, rules, sorts=RULE_SORTS, search=("name",))
    return render(request, "workflow/settings_rule_list.html", {
        **shown, "rows": [{"rule": r, "describe": describe(r.query)} for r in shown["page"]],
        "active": request.GET.get("active", ""),
        "may_manage": can(request.user, "settings_rule.manage")})


def _exemptions(text: str) -> dict[int, str]:
    """'ACCOUNT-NUMBER: reason' per line → {account id: reason}; unknown numbers refused."""
    wanted: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip():
            number, _, reason = line.partition(":")
            wanted[number.strip()] = reason.strip()
    found = dict(Account.objects.filter(account_number__in=wanted).values_list(
        "account_number", "pk"))
    unknown = sorted(set(wanted) - set(found))
    if unknown:
        raise ValidationError(f"No account numbered {', '.join(unknown)}.")
    return {found[number]: reason for number, reason in wanted.items()}


def _form(request: HttpRequest, rule: SettingsRule | None) -> dict[str, Any]:
    if request.method != "POST":
        first = next(iter(rule.values.items()), ("", "")) if rule else ("", "")
        return {"name": rule.name if rule else "", "setting": first[0], "value": "",
                "position": rule.position if rule else 100,
                "query_json": json.dumps(rule.query if rule else {"all": []}),
                "exemptions": "\n".join(f"{e.account.account_number}: {e.reason}" for e in
                                        rule.exemptions.select_related("account"))
                if rule else "", "reason": "", "saved_filter": ""}
    return {key: request.POST.get(key, "") for key in (
        "name", "setting", "value", "position", "query_json", "exemptions", "reason",
        "saved_filter")}


def _rule_page(request: HttpRequest, rule: SettingsRule | None) -> HttpResponse:
    form = _form(request, rule)
    errors: list[str] = []
    preview = None
    if request.method == "POST":
        try:
            if form["saved_filter"]:
                saved = access_object(SavedFilter, request.user, "filter.view",
                                      pk=int(form["saved_filter"]))
                form["query_json"] = json.dumps(saved.query)
            query = json.loads(form["query_json"] or "{}")
            changes = {form["setting"]: form["value"]} if form["setting"] else {}
            options = {"rule": rule, "name": form["name"], "query": query, "changes": changes,
                       "position": int(form["position"] or 100),
                       "exemptions": _exemptions(form["exemptions"])}
            if request.POST.get("action") == "apply":
                change_set = settings_rule_apply(**options, reason=form["reason"],
                                                 acting_user=request.user)
                messages.success(request, f"Applied {change_set.rule.name}: "
                                 f"{change_set.accounts_changed} account(s) changed.")
                return redirect("settings-rule-edit", pk=change_set.rule.pk)
            preview = settings_rule_preview(**options)
        except json.JSONDecodeError as error:
            errors = [f"The query is not valid JSON: {error}"]
        except ValidationError as error:
            errors = error.messages
        except PermissionDenied as error:
            errors = [str(error)]
    return render(request, "workflow/settings_rule_form.html", {
        "rule": rule, "form": form, "errors": errors, "preview": preview,
        "settings": RULE_SETTINGS,
        "filters": SavedFilter.objects.for_user(request.user, "filter.view").order_by("name"),
        "history": rule.history.all()[:20] if rule else [],
        "change_sets": rule.change_sets.all()[:20] if rule else [],
        "may_manage": can(request.user, "settings_rule.manage")})


@firm_page("settings_rule.manage")
def settings_rule_new(request: HttpRequest) -> HttpResponse:
    return _rule_page(request, None)


@firm_page("settings_rule.view")
def settings_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    action = "settings_rule.manage" if request.method == "POST" else "settings_rule.view"
    return _rule_page(request, access_object(SettingsRule, request.user, action, pk=pk))
