"""The account settings page: every setting with where it came from, the resolved target with
the steps behind each weight, and a form to change a setting — refused, when it must be, with
the very message the API and a settings file give."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.models import Account, AccountSettings
from accounts.services.settings import account_settings_update, entered_value
from accounts.settings_catalog import ACCOUNT, CATALOG, Vocabulary
from accounts.settings_resolution import effective_settings
from accounts.targets import resolve_target
from models_hub.book import percent
from rebal.access import access_object
from rebal.permissions import can
from rebal.views.base import firm_page

EDITABLE = [s for s in CATALOG.values() if ACCOUNT in s.layers]


def _shown(name: str, value: object, vocabulary: Vocabulary) -> str:
    if value is None:
        return "—"
    shown = CATALOG[name].show(value, vocabulary)
    if isinstance(shown, bool):
        return "yes" if shown else "no"
    if isinstance(shown, list):
        return ", ".join(str(v) for v in shown) or "none"
    if isinstance(shown, dict):
        return "; ".join(f"{k}: {v}" for k, v in shown.items()) or "none"
    return str(value) if name in ("cash_to_keep", "cash_to_raise") else str(shown)


@firm_page("account.view")
def account_settings(request: HttpRequest, pk: int) -> HttpResponse:
    account = access_object(Account, request.user, "account.view", pk=pk)
    errors: list[str] = []
    form = {"setting": "", "value": "", "reason": "", "clear": False}
    status = 200
    if request.method == "POST":
        # Changing needs the change action on this account; otherwise it does not exist.
        account = access_object(Account, request.user, "account.change_settings", pk=pk)
        form = {"setting": request.POST.get("setting", ""), "value":
                request.POST.get("value", ""), "reason": request.POST.get("reason", ""),
                "clear": request.POST.get("clear") == "on"}
        name = str(form["setting"])
        try:
            if name not in CATALOG:
                raise ValidationError(f"{name or 'Nothing'}: choose a setting.")
            if form["clear"]:
                account_settings_update(account=account, clear=[name],
                                        reason=str(form["reason"]), acting_user=request.user)
            else:
                value = entered_value(name, str(form["value"]))
                account_settings_update(account=account, changes={name: value},
                                        reason=str(form["reason"]), acting_user=request.user)
        except ValidationError as error:
            errors, status = error.messages, 400
        except (ValueError, json.JSONDecodeError) as error:
            errors, status = [str(error)], 400
        else:
            messages.success(request, f"{CATALOG[name].label}: saved.")
            return redirect("account-settings", pk=account.pk)
    vocabulary = Vocabulary()
    settings = effective_settings(account)
    rows = [{"name": name, "label": CATALOG[name].label, "help": CATALOG[name].help,
             "value": _shown(name, value.value, vocabulary), "source": value.source.label}
            for name, value in settings.values.items()]
    own = AccountSettings.objects.filter(account=account).first()
    history = list(AccountSettings.history.filter(account_id=account.pk)
                   .select_related("history_user").order_by("-history_date")[:20])
    target = resolve_target(account, timezone.localdate(), hold_unknown_programs=False)
    classes = [{"code": c.asset_class, "percent": percent(c.weight), "product": c.product,
                "source": c.product_source, "steps": "; ".join(c.steps)}
               for c in target.asset_classes]
    return render(request, "accounts/account_settings.html", {
        "account": account, "settings": rows, "editable": EDITABLE, "form": form,
        "errors": errors, "target": target, "classes": classes,
        "own": own.values if own else {}, "history": history,
        "may_change": can(request.user, "account.change_settings"),
    }, status=status)
