"""An account's charts for its reports, from its stored analyses in the period: allocation
against target at the last analysis (with the drift band), and the largest drift by day."""

from __future__ import annotations

from datetime import date
from typing import Any

from optimizer.models import Analysis
from rebal.charts import LineSeries, WeightBar, drift_bars_svg, line_chart_svg


def account_charts(*, account: Any, start: date, end: date) -> list[str]:
    """SVG markup of the charts (none when the period has no analysis)."""
    rows = list(Analysis.objects.filter(account=account, trade_date__gte=start,
                                        trade_date__lte=end)
                .order_by("trade_date", "-pk").distinct("trade_date")
                .values_list("trade_date", "before", "calibration"))
    if not rows:
        return []
    _, last, calibration = rows[-1]
    drift = (last or {}).get("drift", [])
    charts = []
    if drift:
        charts.append(drift_bars_svg(
            [WeightBar(row["asset_class"], float(row["weight"]), float(row["target"]))
             for row in drift],
            band=float((calibration or {}).get("asset_class_band", 0) or 0),
            title=f"Allocation against target on {rows[-1][0]:%Y-%m-%d}"))
    if len(rows) > 1:
        largest = [max((abs(float(r["weight"]) - float(r["target"]))
                        for r in (before or {}).get("drift", [])), default=0.0) * 100
                   for _, before, _ in rows]
        charts.append(line_chart_svg([f"{day:%Y-%m-%d}" for day, _, _ in rows],
                                     [LineSeries("Largest drift", largest)],
                                     title="Largest asset-class drift by day", unit="%"))
    return charts
