"""Every plain-English account setting: its label, help text, default, who may set it, and how
a value is checked, stored and shown.

Values travel in three forms:
- *entered*: what a person or a file gives (tickers, asset-class and product codes, "2.5" for
  2.5%, "2026-12-31") — `parse` checks and converts it;
- *stored*: what a layer row keeps in its JSON (ids, decimal strings, ISO dates) — `store` /
  `load`; settings rules arrive from the workflow in this form;
- *typed*: what effective settings carry (Decimal, date, frozenset of ids, dicts).

Percentages (cash to keep, tax rates, tilts) are entered and stored in percent; nothing asks
for an optimizer parameter — calibration turns these into the optimizer's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

# Layers, broadest first. "record" is the account row itself (from the accounts feed).
DEFAULT, FIRM, RULE, HOUSEHOLD, ACCOUNT = "default", "firm", "rule", "household", "account"
TAX_ENTITY, RECORD = "tax_entity", "record"
# Added by a corporate action to its holders (a spin-off the firm keeps); set by no person.
CORPORATE_ACTION = "corporate_action"
ACCOUNT_LAYERS = frozenset({FIRM, RULE, HOUSEHOLD, ACCOUNT})
CUSTOMIZATION_LAYERS = frozenset({RULE, HOUSEHOLD, ACCOUNT})
TAX_LAYERS = frozenset({FIRM, TAX_ENTITY})
VALUE, SET, MAP = "value", "set", "map"
CENT = Decimal("0.01")


class SettingError(ValueError):
    """An entered or stored value that a setting refuses, with the reason in plain English."""


@dataclass(frozen=True, slots=True)
class CashToKeep:
    """Cash to leave in the account after trading: a percent of its value or a dollar sum."""

    unit: str  # "percent" | "dollars"
    amount: Decimal

    def __str__(self) -> str:
        return f"{self.amount}%" if self.unit == "percent" else f"${self.amount:,.2f}"


@dataclass(frozen=True, slots=True)
class CashToRaise:
    """Cash to have available by a date (for a withdrawal)."""

    amount: Decimal
    by: date

    def __str__(self) -> str:
        return f"${self.amount:,.2f} by {self.by.isoformat()}"


class Vocabulary:
    """Names people use (tickers, codes) ↔ the ids layers store; loaded lazily, per firm."""

    @cached_property
    def securities(self) -> dict[int, str]:
        from dataops.models import Security

        return {pk: ticker or cusip for pk, ticker, cusip in
                Security.objects.exclude(status="placeholder").values_list(
                    "pk", "ticker", "cusip")}

    @cached_property
    def security_ids(self) -> dict[str, int]:
        from dataops.models import SecurityIdentifier

        found = {value.upper(): security_id for value, security_id in
                 SecurityIdentifier.objects.filter(valid_to__isnull=True,
                                                   security__status="active")
                 .values_list("value", "security_id")}
        found.update({label.upper(): pk for pk, label in self.securities.items() if label})
        return found

    @cached_property
    def asset_classes(self) -> dict[int, str]:
        from dataops.models import AssetClass

        return dict(AssetClass.objects.values_list("pk", "code"))

    @cached_property
    def products(self) -> dict[int, str]:
        from models_hub.models import SecurityModel

        return dict(SecurityModel.objects.values_list("pk", "code"))

    @cached_property
    def restriction_lists(self) -> dict[int, str]:
        from dataops.models import RestrictionList

        return dict(RestrictionList.objects.values_list("pk", "code"))

    @cached_property
    def commission_schedules(self) -> dict[int, str]:
        from accounts.models import CommissionSchedule

        return dict(CommissionSchedule.objects.values_list("pk", "code"))

    def lookup(self, kind: str, entered: Any) -> int:
        """The id of a security (ticker, CUSIP or id), asset class, product, list or schedule
        (code or id); SettingError naming what was not found."""
        table: dict[int, str] = getattr(self, kind)
        if isinstance(entered, int) and not isinstance(entered, bool):
            if entered in table:
                return entered
            raise SettingError(f"{NOUNS[kind]} #{entered} is not known")
        text = str(entered).strip()
        if kind == "securities":
            found = self.security_ids.get(text.upper())
        else:
            found = next((pk for pk, code in table.items() if code == text), None)
        if found is None:
            raise SettingError(f"{NOUNS[kind]} {text!r} is not known")
        return found

    def name(self, kind: str, pk: int) -> str:
        return getattr(self, kind).get(pk, f"#{pk}")


NOUNS = {"securities": "security", "asset_classes": "asset class", "products": "product",
         "restriction_lists": "restriction list", "commission_schedules": "commission schedule"}


# --- value kinds -------------------------------------------------------------------------------

def _decimal(entered: Any) -> Decimal:
    try:
        number = Decimal(str(entered).replace(",", "").replace("$", "").replace("%", "").strip())
    except (InvalidOperation, ValueError):
        raise SettingError(f"{entered!r} is not a number") from None
    if not number.is_finite():
        raise SettingError(f"{entered!r} is not a number")
    return number


def _money(entered: Any) -> Decimal:
    amount = _decimal(entered)
    if amount < 0:
        raise SettingError("a dollar amount cannot be negative")
    return amount.quantize(CENT)


def _percent(entered: Any) -> Decimal:
    value = _decimal(entered)
    if value < 0 or value > 100:
        raise SettingError("a percentage is between 0 and 100")
    return value


def _bool(entered: Any) -> bool:
    if isinstance(entered, bool):
        return entered
    text = str(entered).strip().lower()
    if text in {"y", "yes", "true", "1", "on"}:
        return True
    if text in {"n", "no", "false", "0", "off"}:
        return False
    raise SettingError(f"{entered!r} is not yes or no")


def _date(entered: Any) -> date:
    if isinstance(entered, date):
        return entered
    try:
        return date.fromisoformat(str(entered).strip())
    except ValueError:
        raise SettingError(f"{entered!r} is not a date (YYYY-MM-DD)") from None


@dataclass(frozen=True)
class Setting:
    """One setting of the catalog."""

    name: str
    label: str
    help: str
    kind: str = VALUE  # VALUE replaces; SET adds up down the layers; MAP replaces per key
    layers: frozenset[str] = ACCOUNT_LAYERS
    default: Any = None
    choices: tuple[tuple[str, str], ...] = ()
    # entered -> typed (may consult the vocabulary), typed -> stored, stored -> typed,
    # typed -> shown
    parse: Callable[[Any, Vocabulary], Any] = field(default=lambda v, _: v)
    store: Callable[[Any], Any] = field(default=lambda v: v)
    load: Callable[[Any], Any] = field(default=lambda v: v)
    show: Callable[[Any, Vocabulary], Any] = field(default=lambda v, _: v)
    refers_to: str = ""  # for SET/MAP: the vocabulary the members (MAP: the keys) name

    def parse_entered(self, entered: Any, vocabulary: Vocabulary) -> Any:
        if self.choices:
            text = str(entered).strip().lower()
            if text not in {value for value, _ in self.choices}:
                raise SettingError(f"{entered!r} is not one of "
                                   + ", ".join(value for value, _ in self.choices))
            return text
        return self.parse(entered, vocabulary)


def _choice(name: str, label: str, help_text: str, default: str,
            choices: tuple[tuple[str, str], ...]) -> Setting:
    return Setting(name, label, help_text, default=default, choices=choices)


def _money_setting(name: str, label: str, help_text: str, default: Decimal | None,
                   layers: frozenset[str] = ACCOUNT_LAYERS, optional: bool = False) -> Setting:
    def parse(entered: Any, _: Vocabulary) -> Decimal | None:
        if optional and (entered is None or str(entered).strip().lower() in {"", "none"}):
            return None
        return _money(entered)

    return Setting(name, label, help_text, default=default, layers=layers, parse=parse,
                   store=lambda v: None if v is None else str(v),
                   load=lambda v: None if v is None else Decimal(v),
                   show=lambda v, _: None if v is None else str(v))


def _percent_setting(name: str, label: str, help_text: str, default: Decimal,
                     layers: frozenset[str] = TAX_LAYERS) -> Setting:
    return Setting(name, label, help_text, default=default, layers=layers,
                   parse=lambda v, _: _percent(v), store=str, load=Decimal,
                   show=lambda v, _: str(v))


def _bool_setting(name: str, label: str, help_text: str, default: bool,
                  layers: frozenset[str] = ACCOUNT_LAYERS) -> Setting:
    return Setting(name, label, help_text, default=default, layers=layers,
                   parse=lambda v, _: _bool(v))


def _id_set(name: str, label: str, help_text: str, refers_to: str,
            layers: frozenset[str] = ACCOUNT_LAYERS) -> Setting:
    def parse(entered: Any, vocabulary: Vocabulary) -> frozenset[int]:
        if isinstance(entered, str):
            entered = [part for part in entered.replace(";", ",").split(",") if part.strip()]
        return frozenset(vocabulary.lookup(refers_to, item) for item in entered or ())

    return Setting(name, label, help_text, kind=SET, layers=layers, default=frozenset(),
                   parse=parse, store=lambda v: sorted(v), load=frozenset,
                   show=lambda v, vocabulary: sorted(vocabulary.name(refers_to, pk) for pk in v),
                   refers_to=refers_to)


def _parse_cash_to_keep(entered: Any, _: Vocabulary) -> CashToKeep:
    if isinstance(entered, CashToKeep):
        return entered
    if isinstance(entered, Mapping):
        unit, amount = str(entered.get("unit", "")), entered.get("amount")
    else:
        text = str(entered).strip()
        unit = "percent" if text.endswith("%") else "dollars"
        amount = text
    if unit == "percent":
        return CashToKeep("percent", _percent(amount))
    if unit == "dollars":
        return CashToKeep("dollars", _money(amount))
    raise SettingError("cash to keep is a percent (\"2%\") or dollars (\"5000\")")


def _parse_cash_to_raise(entered: Any, _: Vocabulary) -> CashToRaise | None:
    if entered is None or entered == "" or entered == {}:
        return None
    if isinstance(entered, CashToRaise):
        return entered
    if not isinstance(entered, Mapping) or "amount" not in entered or "by" not in entered:
        raise SettingError("cash to raise needs an amount and a date: "
                           "{\"amount\": \"25000\", \"by\": \"2026-12-31\"}")
    amount = _money(entered["amount"])
    if amount <= 0:
        raise SettingError("cash to raise is more than $0 (clear the setting instead)")
    return CashToRaise(amount, _date(entered["by"]))


def _parse_products(entered: Any, vocabulary: Vocabulary) -> dict[int, int]:
    if not isinstance(entered, Mapping):
        raise SettingError("product choices are {asset class: product}")
    return {vocabulary.lookup("asset_classes", ac): vocabulary.lookup("products", product)
            for ac, product in entered.items()}


def _parse_tilts(entered: Any, vocabulary: Vocabulary) -> dict[int, Decimal]:
    if not isinstance(entered, Mapping):
        raise SettingError("tilts are {asset class: percentage points, + or -}")
    tilts = {}
    for ac, points in entered.items():
        value = _decimal(points)
        if abs(value) > 100:
            raise SettingError("a tilt is between -100 and +100 percentage points")
        if value:
            tilts[vocabulary.lookup("asset_classes", ac)] = value
    return tilts


FILING_STATUS = (("single", "Single"), ("married_joint", "Married filing jointly"),
                 ("married_separate", "Married filing separately"),
                 ("head_of_household", "Head of household"))
TAX_SENSITIVITY = (("none", "None: trade as if no tax were due"),
                   ("low", "Low"), ("medium", "Medium"), ("high", "High"),
                   ("maximum", "Maximum: realize gains only when required"))
TRACKING = (("tight", "Tight: stay close to the target"), ("normal", "Normal"),
            ("loose", "Loose: tolerate drift to save taxes and costs"))
TRADING_APPROVAL = (("automatic", "Automatic, under the firm's trading policies"),
                    ("review", "An overlay manager reviews each batch"),
                    ("client_consent", "The client consents before each release"))

SETTINGS: tuple[Setting, ...] = (
    _choice("tax_sensitivity", "Tax sensitivity",
            "How much taxes weigh against staying on target: none trades as if no tax were "
            "due; maximum realizes gains only for cash needs and restrictions.", "medium",
            TAX_SENSITIVITY),
    _choice("tracking", "How closely to track the target",
            "Tight trades more often to stay near the target; loose lets the account drift "
            "further before trading, to save taxes and costs.", "normal", TRACKING),
    _bool_setting("loss_harvesting", "Harvest losses",
                  "Sell positions that stand at a loss to realize it for taxes, buying a "
                  "substitute so the account stays invested.", True),
    _money_setting("loss_harvesting_minimum", "Smallest loss worth harvesting ($)",
                   "A loss is harvested only when it is at least this many dollars.",
                   Decimal("250.00")),
    _money_setting("annual_gain_budget", "Net realized gain budget for the year ($)",
                   "The most net gain (short and long term, after losses) trading may realize "
                   "this calendar year. Blank: no budget.", None, optional=True),
    Setting("cash_to_keep", "Cash to keep",
            "Cash left in the account after trades: a percent of its value (\"2%\") or a "
            "dollar amount (\"5000\").", default=CashToKeep("percent", Decimal("1")),
            parse=_parse_cash_to_keep,
            store=lambda v: {"unit": v.unit, "amount": str(v.amount)},
            load=lambda v: CashToKeep(v["unit"], Decimal(v["amount"])),
            show=lambda v, _: {"unit": v.unit, "amount": str(v.amount)}),
    Setting("cash_to_raise", "Cash to raise by a date",
            "Cash to have available by a date, e.g. for a withdrawal; trades raise it "
            "tax-efficiently beforehand.", default=None,
            layers=frozenset({RULE, HOUSEHOLD, ACCOUNT}), parse=_parse_cash_to_raise,
            store=lambda v: None if v is None else {"amount": str(v.amount),
                                                    "by": v.by.isoformat()},
            load=lambda v: None if v is None else CashToRaise(Decimal(v["amount"]),
                                                              date.fromisoformat(v["by"])),
            show=lambda v, _: None if v is None else {"amount": str(v.amount),
                                                      "by": v.by.isoformat()}),
    _id_set("do_not_buy", "Do not buy", "Securities never bought for the account.",
            "securities"),
    _id_set("do_not_sell", "Do not sell", "Securities never sold from the account.",
            "securities"),
    _id_set("do_not_trade", "Do not trade", "Securities neither bought nor sold.", "securities"),
    _id_set("restriction_lists", "Restriction lists",
            "Lists of restricted securities (ESG screens, the firm's restricted list) that the "
            "account does not buy.", "restriction_lists"),
    _id_set("excluded_asset_classes", "Excluded asset classes",
            "Asset classes the account does not hold; their target weight is spread over the "
            "others in proportion.", "asset_classes", layers=CUSTOMIZATION_LAYERS),
    Setting("product_choices", "Product choices",
            "For an asset class, which approved product implements it instead of the "
            "program's (e.g. mutual funds instead of an ETF).", kind=MAP,
            layers=CUSTOMIZATION_LAYERS, default={}, parse=_parse_products,
            store=lambda v: {str(k): p for k, p in sorted(v.items())},
            load=lambda v: {int(k): int(p) for k, p in v.items()},
            show=lambda v, vocabulary: {vocabulary.name("asset_classes", k):
                                        vocabulary.name("products", p)
                                        for k, p in sorted(v.items())},
            refers_to="asset_classes"),
    Setting("allocation_tilts", "Allocation tilts (percentage points)",
            "Move target weight between asset classes of the program, e.g. +2 to mid cap and "
            "−2 to large cap; they add up to zero, within the firm's limits.", kind=MAP,
            layers=CUSTOMIZATION_LAYERS, default={}, parse=_parse_tilts,
            store=lambda v: {str(k): str(t) for k, t in sorted(v.items())},
            load=lambda v: {int(k): Decimal(t) for k, t in v.items()},
            show=lambda v, vocabulary: {vocabulary.name("asset_classes", k): str(t)
                                        for k, t in sorted(v.items())},
            refers_to="asset_classes"),
    _money_setting("minimum_trade", "Smallest trade ($)",
                   "Trades worth less than this are not proposed.", Decimal("100.00")),
    Setting("commission_schedule", "Commission schedule",
            "What trades cost the client (per trade, per share, a percentage). Blank: no "
            "commission.", default=None,
            parse=lambda v, vocabulary: None if v in (None, "") else vocabulary.lookup(
                "commission_schedules", v),
            show=lambda v, vocabulary: None if v is None else vocabulary.name(
                "commission_schedules", v)),
    _choice("trading_approval", "Trading approval",
            "Who lets the account's trades go to the trading desk.", "automatic",
            TRADING_APPROVAL),
    _percent_setting("federal_short_term_rate", "Federal rate on short-term gains (%)",
                     "The taxpayer's federal marginal rate on gains held a year or less.",
                     Decimal("37")),
    _percent_setting("federal_long_term_rate", "Federal rate on long-term gains (%)",
                     "The taxpayer's federal rate on gains held more than a year.",
                     Decimal("20")),
    _percent_setting("state_short_term_rate", "State rate on short-term gains (%)",
                     "The state (and local) rate on short-term gains.", Decimal("0")),
    _percent_setting("state_long_term_rate", "State rate on long-term gains (%)",
                     "The state (and local) rate on long-term gains.", Decimal("0")),
    _bool_setting("net_investment_income_tax", "Net investment income tax applies",
                  "Whether the 3.8% net investment income tax applies to the taxpayer's "
                  "gains (above the income thresholds).", True, layers=TAX_LAYERS),
    Setting("filing_status", "Filing status",
            "The taxpayer's federal filing status: married filing separately may deduct at "
            "most $1,500 of net capital losses a year from ordinary income, the others $3,000.",
            default="single", choices=FILING_STATUS, layers=TAX_LAYERS),
    _money_setting("short_term_loss_carryforward", "Short-term capital-loss carryforward ($)",
                   "Short-term losses carried from earlier years, offsetting this year's gains.",
                   Decimal("0.00"), layers=TAX_LAYERS),
    _money_setting("long_term_loss_carryforward", "Long-term capital-loss carryforward ($)",
                   "Long-term losses carried from earlier years, offsetting this year's gains.",
                   Decimal("0.00"), layers=TAX_LAYERS),
)
# Shown with provenance but set only by the accounts feed (the account record).
RECORD_SETTINGS: tuple[Setting, ...] = (
    _bool_setting("discretionary", "Discretionary",
                  "Whether the firm may trade without asking the client each time (from the "
                  "custodian's account record).", True, layers=frozenset({RECORD})),
    _bool_setting("approved_for_trading", "Approved for trading",
                  "Whether the account may trade at all (from the account record).", True,
                  layers=frozenset({RECORD})),
)
CATALOG: dict[str, Setting] = {s.name: s for s in (*SETTINGS, *RECORD_SETTINGS)}
NIIT_RATE = Decimal("3.8")
LAYER_LABELS = {DEFAULT: "Rebal's defaults", FIRM: "firm defaults", RULE: "settings rules",
                HOUSEHOLD: "household", ACCOUNT: "account", TAX_ENTITY: "tax entity",
                RECORD: "account record", CORPORATE_ACTION: "corporate actions"}


def parse_changes(changes: Mapping[str, Any], *, layer: str,
                  vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    """Entered values → stored values for a layer; SettingError listing every problem."""
    vocabulary = vocabulary or Vocabulary()
    stored: dict[str, Any] = {}
    problems = []
    for name, entered in changes.items():
        setting = CATALOG.get(name)
        if setting is None:
            problems.append(f"{name}: there is no such setting")
            continue
        if layer not in setting.layers:
            where = ", ".join(LAYER_LABELS[x] for x in sorted(setting.layers))
            problems.append(f"{setting.label}: set in the {where}, not the {LAYER_LABELS[layer]}")
            continue
        try:
            stored[name] = setting.store(setting.parse_entered(entered, vocabulary))
        except SettingError as error:
            problems.append(f"{setting.label}: {error}")
    if problems:
        raise SettingError("; ".join(problems))
    return stored


def load_layer(values: Mapping[str, Any]) -> dict[str, Any]:
    """A layer's stored values, typed; unknown names (a setting since retired) are skipped."""
    typed = {}
    for name, stored in values.items():
        setting = CATALOG.get(name)
        if setting is not None:
            typed[name] = setting.load(stored)
    return typed
