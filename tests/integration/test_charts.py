"""The charts as drawn: well-formed markup, every text escaped, one bar or point per figure,
and a chart with nothing to show still drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

import attrs

from entrypoints import charts

SVG = "{http://www.w3.org/2000/svg}"


@attrs.frozen
class Day:
    day: date
    spend: Decimal
    budget: Decimal | None


def days(spends: list[str], budget: str | None = "100") -> list[Day]:
    first = date(2026, 11, 1)
    return [
        Day(first + timedelta(days=i), Decimal(s), None if budget is None else Decimal(budget))
        for i, s in enumerate(spends)
    ]


def parsed(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def table_rows(figure: ET.Element) -> list[list[str | None]]:
    """The cells of the data table's body, row by row."""
    return [[td.text for td in tr.findall("td")] for tr in figure.iter("tr") if tr.findall("td")]


def svg_of(figure: ET.Element) -> ET.Element:
    found = figure.find(f"{SVG}svg")
    assert found is not None
    return found


def test_the_daily_chart_draws_a_bar_per_day_red_where_the_budget_was_reached() -> None:
    figure = parsed(charts.daily_chart(days(["40", "100", "120.5"]), "USD", "d", "Daily"))

    bars = svg_of(figure).findall(f"{SVG}rect[@class='bar']")
    assert [b.get("fill") for b in bars] == [charts.SPEND, charts.OVER, charts.OVER]
    tips = [b.findtext(f"{SVG}title") for b in bars]
    assert tips[2] == "2026-11-03: 120.50 USD of 100.00 USD budget"
    # Taller bar for more spend: y grows downwards.
    heights = [float(b.get("height", "0")) for b in bars]
    assert heights[0] < heights[1] < heights[2]


def test_the_daily_chart_draws_the_budget_line_and_a_table_of_its_figures() -> None:
    figure = parsed(charts.daily_chart(days(["40", "60"], budget="75"), "EUR", "d", "Daily"))

    paths = svg_of(figure).findall(f"{SVG}path")
    assert len(paths) == 1 and paths[0].get("stroke-dasharray")
    cells = table_rows(figure)
    assert cells == [["2026-11-01", "40.00", "75.00"], ["2026-11-02", "60.00", "75.00"]]
    axis = [t.text for t in svg_of(figure).iter(f"{SVG}text")]
    assert "EUR" in axis and "0" in axis


def test_days_without_a_budget_draw_no_budget_line() -> None:
    figure = parsed(charts.daily_chart(days(["5", "7"], budget=None), "USD", "d", "Daily"))

    assert svg_of(figure).findall(f"{SVG}path") == []
    assert [b.get("fill") for b in svg_of(figure).findall(f"{SVG}rect[@class='bar']")] == [
        charts.SPEND,
        charts.SPEND,
    ]


def test_every_text_is_escaped() -> None:
    title = 'Brand <script>alert("x")</script> & Co'
    markup = charts.daily_chart(days(["1"]), "U&D", "d", title)

    figure = parsed(markup)
    assert "<script>" not in markup
    assert svg_of(figure).findtext(f"{SVG}title") == title
    assert "U&D" in [t.text for t in svg_of(figure).iter(f"{SVG}text")]


def test_a_chart_with_no_days_is_drawn_and_says_so() -> None:
    daily = parsed(charts.daily_chart([], "USD", "d", "Daily"))
    month = parsed(
        charts.month_chart(charts.MonthToDate((), (), (), 0.0, None, None), "USD", "m", "Month")
    )

    assert "No days in this range" in [t.text for t in svg_of(daily).iter(f"{SVG}text")]
    assert svg_of(daily).findall(f"{SVG}rect[@class='bar']") == []
    assert svg_of(month).findall(f"{SVG}circle") == []


def test_the_month_chart_draws_spend_so_far_expected_forecast_and_budget() -> None:
    month = [date(2026, 11, 1) + timedelta(days=i) for i in range(30)]
    figures = charts.MonthToDate(
        days=tuple(month),
        spent=(Decimal(50), Decimal(120), Decimal(130)),
        expected=tuple(Decimal(40 * (i + 1)) for i in range(30)),
        elapsed=0.09,
        forecast=Decimal("1300"),
        budget=Decimal("1200"),
    )

    figure = parsed(charts.month_chart(figures, "USD", "m", "November"))

    svg = svg_of(figure)
    points = svg.findall(f"{SVG}circle[@class='point']")
    assert [p.findtext(f"{SVG}title") for p in points][1] == (
        "2026-11-02: 120.00 USD spent so far, 80.00 USD expected"
    )
    strokes = {p.get("stroke"): p.get("stroke-dasharray") for p in svg.findall(f"{SVG}path")}
    assert set(strokes) == {charts.SPEND, charts.EXPECTED, charts.FORECAST, charts.BUDGET}
    assert strokes[charts.SPEND] is None and strokes[charts.FORECAST]
    assert "forecast 1,300.00 USD" in (svg.findtext(f"{SVG}desc") or "")
    rows = table_rows(figure)
    assert rows[2] == ["2026-11-03", "130.00", "120.00"]
    assert rows[3] == ["2026-11-04", None, "160.00"]


def test_the_month_chart_without_a_budget_draws_spend_alone() -> None:
    figures = charts.MonthToDate(
        days=(date(2026, 2, 1), date(2026, 2, 2)),
        spent=(Decimal(5),),
        expected=(),
        elapsed=0.01,
        forecast=None,
        budget=None,
    )

    svg = svg_of(parsed(charts.month_chart(figures, "USD", "m", "February")))

    assert [p.get("stroke") for p in svg.findall(f"{SVG}path")] == [charts.SPEND]


def test_money_is_shown_in_cents_or_every_significant_micro() -> None:
    assert charts.money(Decimal("1234.5")) == "1,234.50"
    assert charts.money(Decimal("0.000125")) == "0.000125"
