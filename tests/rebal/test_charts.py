"""The SVG charts: parsed as XML, their bars, band, labels and values checked against the data."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from rebal.charts import LineSeries, WeightBar, drift_bars_svg, line_chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own markup, parsed to check it


def _texts(root: ET.Element, css_class: str) -> list[str]:
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")
            if node.get("class") == css_class]


ROWS = [WeightBar("US large cap", 0.42, 0.40), WeightBar("Bonds", 0.25, 0.35),
        WeightBar("Cash & <equivalents>", 0.03, 0.02)]


def test_drift_bars_draw_each_class_against_its_target_and_band():
    root = _parse(drift_bars_svg(ROWS, band=0.03, title="Weights against target"))

    assert root.get("role") == "img" and root.get("aria-label") == "Weights against target"
    assert root.find(f"{SVG}title").text == "Weights against target"
    rows = [g for g in root.iter(f"{SVG}g") if "bar-row" in g.get("class", "")]
    assert [g.get("data-label") for g in rows] == ["US large cap", "Bonds",
                                                   "Cash & <equivalents>"]
    assert _texts(root, "label") == ["US large cap", "Bonds", "Cash & <equivalents>"]
    assert _texts(root, "value") == ["42.0% · target 40.0%",
                                     "25.0% · target 35.0% · outside band",
                                     "3.0% · target 2.0%"]
    # Only bonds (10 points under) is outside the ±3% band.
    assert [g.get("data-label") for g in rows if "outside" in g.get("class")] == ["Bonds"]
    assert "Outside the band: Bonds." in root.find(f"{SVG}desc").text

    def shape(row: ET.Element, tag: str, css_class: str) -> ET.Element:
        return next(n for n in row.iter(f"{SVG}{tag}") if n.get("class") == css_class)

    # Scale: 0-50% over the plot; bars' lengths are proportional to the weights, the band is
    # 2 × 3% wide and centred on the target tick.
    large, bonds = rows[0], rows[1]
    large_bar = float(shape(large, "rect", "bar").get("width"))
    bonds_bar = float(shape(bonds, "rect", "bar").get("width"))
    assert abs(large_bar / bonds_bar - 0.42 / 0.25) < 0.01
    band = shape(bonds, "rect", "band")
    tick = float(shape(bonds, "line", "target").get("x1"))
    band_left, band_width = float(band.get("x")), float(band.get("width"))
    assert abs(band_left + band_width / 2 - tick) < 0.2
    assert abs(band_width / bonds_bar - 0.06 / 0.25) < 0.01
    assert _texts(root, "tick") == ["0%", "10%", "20%", "30%", "40%", "50%"]


def test_drift_bars_with_nothing_outside_say_so_and_clip_to_the_scale():
    root = _parse(drift_bars_svg([WeightBar("Equity", 1.0, 0.98)], band=0.05, title="All in"))

    assert "Outside" not in root.find(f"{SVG}desc").text
    assert _texts(root, "tick")[-1] == "100%"
    width = int(root.get("width"))
    assert all(float(rect.get("x")) + float(rect.get("width")) <= width
               for rect in root.iter(f"{SVG}rect"))


def test_line_chart_plots_each_series_in_order_with_its_latest_value():
    labels = ["2026-11-20", "2026-11-23", "2026-11-24"]
    root = _parse(line_chart_svg(labels, [LineSeries("Analyzed", [100, 120, 90]),
                                          LineSeries("Auto-traded", [40, None, 60])],
                                 title="Accounts per night"))

    assert root.get("role") == "img" and root.find(f"{SVG}title").text == "Accounts per night"
    series = [g for g in root.iter(f"{SVG}g") if g.get("class") == "series"]
    assert [g.get("data-name") for g in series] == ["Analyzed", "Auto-traded"]
    analyzed = series[0].find(f"{SVG}polyline").get("points").split()
    ys = [float(point.split(",")[1]) for point in analyzed]
    xs = [float(point.split(",")[0]) for point in analyzed]
    assert xs == sorted(xs) and len(xs) == 3
    assert ys[1] < ys[0] < ys[2]  # 120 is highest (smallest y), 90 lowest
    # The missing night is skipped, not drawn at zero.
    assert len(series[1].findall(f"{SVG}circle")) == 2
    assert _texts(root, "legend") == ["Analyzed: 90", "Auto-traded: 60"]
    assert _texts(root, "tick") == ["0", "120", "2026-11-20", "2026-11-24"]
    assert "latest 90" in root.find(f"{SVG}desc").text


def test_line_chart_without_points_is_still_valid_svg():
    root = _parse(line_chart_svg([], [LineSeries("Analyzed", [])], title="Nothing yet"))

    assert root.find(f"{SVG}desc").text.startswith("No points.")
    assert root.find(f"{SVG}g").find(f"{SVG}polyline") is None
