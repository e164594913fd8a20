"""The taxes-saved report as CSV and PDF, and its chart.

The firm PDF's per-account table is set as fixed-width lines, one block per row: WeasyPrint
lays out table cells about ten times slower, and a firm's report has ten thousand rows.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string

from rebal.charts import LineSeries, line_chart_svg
from rebal.pdf import pdf_from_html
from reports.taxes_saved_report import AccountTaxesSaved, TaxesSavedReport

CSV_HEADER = ("account_number", "name", "advisor", "taxable", "filing_status",
              "short_term_rate", "long_term_rate", "days_compared", "value",
              "tax_aware_short_term", "tax_aware_long_term", "naive_short_term",
              "naive_long_term", "tax_aware_tax", "naive_tax", "taxes_saved", "percent_of_value",
              "deferred", "permanently_saved", "short_term_carryforward",
              "long_term_carryforward", "short_term_carryforward_at_start",
              "long_term_carryforward_at_start", "team")
# (heading, width) of the firm PDF's fixed-width account lines
LINE_COLUMNS = (("Account", 14), ("Advisor", 26), ("Value", 16), ("Naive tax", 13),
                ("Tax-aware tax", 14), ("Saved", 12), ("% value", 8), ("Deferred", 12),
                ("Permanent", 12))


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _csv_row(row: AccountTaxesSaved) -> list[Any]:
    s = row.saved
    return [row.account_number, row.name, row.advisor, row.taxable, row.filing_status,
            row.rates.short_term if row.rates else "", row.rates.long_term if row.rates else "",
            row.days, row.value, row.aware.short_term, row.aware.long_term,
            row.naive.short_term, row.naive.long_term, s.tax_aware, s.tax_naive, s.saved,
            row.percent if row.percent is not None else "", s.deferred, s.permanent,
            s.carryforward.short_term, s.carryforward.long_term, row.carried_in.short_term,
            row.carried_in.long_term, row.team]


def taxes_saved_csv(report: TaxesSavedReport, *, header: bool = True) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    if header:
        writer.writerow(CSV_HEADER)
    writer.writerows(_csv_row(row) for row in report.rows)
    return out.getvalue()


def taxes_saved_chart(report: TaxesSavedReport) -> str:
    """Taxes saved by month (the stored daily estimates, before annual netting)."""
    return line_chart_svg([m.month for m in report.months],
                          [LineSeries("Saved ($)", [float(m.saved) for m in report.months])],
                          title="Taxes saved by month ($, daily estimates before netting)")


def account_line(row: AccountTaxesSaved) -> str:
    s = row.saved
    cells = (row.account_number, row.advisor or "-", _money(row.value), _money(s.tax_naive),
             _money(s.tax_aware), _money(s.saved),
             "-" if row.percent is None else f"{row.percent}%", _money(s.deferred),
             _money(s.permanent))
    columns = zip(cells, LINE_COLUMNS, strict=True)
    return "".join(cell[:width - 1].ljust(width) if index < 2 else cell.rjust(width)
                   for index, (cell, (_, width)) in enumerate(columns))


def line_header() -> str:
    return "".join(name.ljust(width) if index < 2 else name.rjust(width)
                   for index, (name, width) in enumerate(LINE_COLUMNS))


def taxes_saved_context(report: TaxesSavedReport, *, firm: Any, title: str) -> dict[str, Any]:
    return {"report": report, "firm": firm, "title": title, "chart": taxes_saved_chart(report)}


def taxes_saved_pdf(report: TaxesSavedReport, *, firm: Any, title: str,
                    account: Any = None, lines: list[str] | None = None,
                    charts: list[str] | None = None) -> bytes:
    """The firm's (or an advisor's) report with its account lines (those given, or the
    report's rows), or one account's report."""
    context = taxes_saved_context(report, firm=firm, title=title)
    if account is None:
        context |= {"header": line_header(),
                    "lines": lines if lines is not None else [account_line(r)
                                                              for r in report.rows]}
    else:
        context |= {"account": account, "row": report.rows[0], "charts": charts or []}
    return pdf_from_html(render_to_string("reports/taxes_saved_pdf.html", context))
