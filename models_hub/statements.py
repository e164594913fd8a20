"""Monthly billing statements as CSV, HTML and PDF: one line per day's accrual, and the total.

The total printed is the statement's, which is the sum of the lines printed; a test proves the
two agree to the cent with the accruals.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.template.loader import render_to_string

from models_hub.models import BillingStatement, FeeAccrual
from rebal.pdf import pdf_from_html


@dataclass(frozen=True)
class StatementLine:
    day: date
    market_value: Decimal
    account_count: int
    by_model: dict[str, str]
    annual_fee: Decimal
    amount: Decimal


def statement_lines(statement: BillingStatement) -> list[StatementLine]:
    return [StatementLine(a.accrual_date, a.market_value, a.account_count, a.by_model,
                          a.annual_fee, a.amount)
            for a in FeeAccrual.objects.filter(statement=statement).order_by("accrual_date",
                                                                              "pk")]


def statement_csv(statement: BillingStatement) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    provider = statement.provider
    writer.writerow(["provider", provider.code, provider.name])
    writer.writerow(["period", statement.period_start.isoformat(),
                     statement.period_end.isoformat()])
    writer.writerow(["date", "market_value", "accounts", "annual_fee", "accrual", "by_model"])
    for line in statement_lines(statement):
        writer.writerow([line.day.isoformat(), f"{line.market_value:.2f}", line.account_count,
                         f"{line.annual_fee:.2f}", f"{line.amount:.2f}",
                         "; ".join(f"{code}={mv}" for code, mv in line.by_model.items())])
    writer.writerow(["total", "", "", "", f"{statement.total:.2f}", ""])
    return buffer.getvalue()


def statement_html(statement: BillingStatement) -> str:
    return render_to_string("models_hub/billing_statement.html", {
        "statement": statement, "provider": statement.provider,
        "lines": statement_lines(statement)})


def statement_pdf(statement: BillingStatement) -> bytes:
    """The HTML statement printed (WeasyPrint)."""
    return pdf_from_html(statement_html(statement))
