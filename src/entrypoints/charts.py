"""Charts of spend drawn on the server as inline SVG (docs/adr/0012-charts-drawn-as-svg.md):
daily spend bars against the daily budget, and a month's cumulative spend against the
expected spend, the forecast and the budget. Each chart carries a title and a description
for screen readers, a tooltip per bar or point, and its figures as a table beneath.

Geometry is drawn in floats (pixels); every figure shown is the exact Decimal given."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from html import escape
from typing import Protocol

import attrs
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, WIDTH - 16, 34, HEIGHT - 30
SPEND, OVER, BUDGET, EXPECTED, FORECAST = "#447e9b", "#ba2121", "#333", "#c98200", "#7a4fa0"


class DayFigure(Protocol):
    """One brand-local day of a series: its spend and the daily budget of that day."""

    @property
    def day(self) -> date: ...
    @property
    def spend(self) -> Decimal: ...
    @property
    def budget(self) -> Decimal | None: ...


@attrs.frozen
class MonthToDate:
    """A month so far. `spent` is the cumulative spend at the end of each day up to today
    (today's figure is as of now), `expected` the expected cumulative spend at the end of
    every day of the month; `elapsed` is the share (0..1) of the month's clock time gone."""

    days: tuple[date, ...]
    spent: tuple[Decimal, ...]
    expected: tuple[Decimal, ...]
    elapsed: float
    forecast: Decimal | None
    budget: Decimal | None


def money(value: Decimal) -> str:
    """An amount as the charts print it: cents, or every significant micro."""
    cents = value.quantize(Decimal("0.01"))
    return f"{cents:,}" if cents == value else f"{value.normalize():,f}"


def _nice_top(value: Decimal) -> tuple[float, float]:
    """A round top for the y axis at or above `value`, and the step between its ticks."""
    top = float(value) if value > 0 else 1.0
    raw = top / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return step * math.ceil(top / step - 1e-9), step


def _tick_text(value: float) -> str:
    exact = Decimal(repr(value)).normalize()
    return f"{exact:,f}" if exact != exact.to_integral_value() else f"{int(exact):,}"


class _Canvas:
    """The shared frame of a chart: scales, axes, legend, title and description."""

    def __init__(self, top_value: Decimal, chart_id: str, title: str, desc: str) -> None:
        self.top, self.step = _nice_top(top_value)
        self.parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}"'
            f' role="img" aria-labelledby="{chart_id}-t {chart_id}-d">',
            f'<title id="{chart_id}-t">{escape(title)}</title>',
            f'<desc id="{chart_id}-d">{escape(desc)}</desc>',
        ]

    def y(self, value: Decimal | float) -> float:
        return round(BOTTOM - (BOTTOM - TOP) * float(value) / self.top, 1)

    def y_axis(self, currency: str) -> None:
        tick = 0.0
        while tick <= self.top + 1e-9:
            y = self.y(tick)
            self.parts.append(
                f'<line x1="{LEFT}" x2="{RIGHT}" y1="{y}" y2="{y}" stroke="#e3e3e3"/>'
                f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end" font-size="11">'
                f"{escape(_tick_text(tick))}</text>"
            )
            tick += self.step
        self.parts.append(
            f'<text x="{LEFT - 6}" y="{TOP - 14}" text-anchor="end" font-size="11" '
            f'font-weight="bold">{escape(currency)}</text>'
        )

    def x_label(self, x: float, day: date) -> None:
        self.parts.append(
            f'<text x="{round(x, 1)}" y="{BOTTOM + 16}" text-anchor="middle" font-size="11">'
            f"{escape(day.strftime('%d %b'))}</text>"
        )

    def legend(self, entries: Sequence[tuple[str, str, str]]) -> None:
        """Entries of (colour, dash pattern or "" for a filled box, label)."""
        x = LEFT
        for colour, dash, label in entries:
            if dash:
                mark = (
                    f'<line x1="{x}" x2="{x + 16}" y1="{TOP - 18}" y2="{TOP - 18}" '
                    f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>'
                )
            else:
                mark = f'<rect x="{x + 3}" y="{TOP - 23}" width="10" height="10" fill="{colour}"/>'
            self.parts.append(
                f'{mark}<text x="{x + 21}" y="{TOP - 14}" font-size="11">{escape(label)}</text>'
            )
            x += 36 + 6 * len(label)

    def line(self, points: Sequence[tuple[float, float]], colour: str, dash: str = "") -> None:
        if len(points) < 2:
            return
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points)
        )
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"{dashed}/>'
        )

    def empty(self, text: str) -> None:
        self.parts.append(
            f'<text x="{(LEFT + RIGHT) / 2}" y="{(TOP + BOTTOM) / 2}" text-anchor="middle" '
            f'font-size="13" fill="#666">{escape(text)}</text>'
        )

    def done(self) -> str:
        self.parts.append(
            f'<line x1="{LEFT}" x2="{RIGHT}" y1="{BOTTOM}" y2="{BOTTOM}" stroke="{BUDGET}"/></svg>'
        )
        return "".join(self.parts)


def _table(caption: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return (
        f"<details><summary>{escape(caption)}</summary><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></details>"
    )


def _label_every(count: int) -> int:
    return max(1, math.ceil(count / 8))


def daily_chart(days: Sequence[DayFigure], currency: str, chart_id: str, title: str) -> SafeString:
    """Bars of each day's spend (red where it reached that day's budget) under the daily
    budget line, with its data table."""
    spent = sum((d.spend for d in days), Decimal(0))
    budgets = [d.budget for d in days if d.budget is not None]
    if days:
        top = max(days, key=lambda d: d.spend)
        desc = (
            f"Spend per day from {days[0].day} to {days[-1].day}: {money(spent)} {currency} "
            f"in all, most on {top.day} ({money(top.spend)} {currency})."
        )
    else:
        desc = "No days to show."
    canvas = _Canvas(max([*(d.spend for d in days), *budgets, Decimal(0)]), chart_id, title, desc)
    canvas.y_axis(currency)
    canvas.legend(
        [(SPEND, "", "spend"), (OVER, "", "at or over budget"), (BUDGET, "4 3", "budget")]
    )
    if not days:
        canvas.empty("No days in this range")
    slot = (RIGHT - LEFT) / max(len(days), 1)
    every = _label_every(len(days))
    budget_path: list[tuple[float, float]] = []
    for i, d in enumerate(days):
        x = LEFT + i * slot
        over = d.budget is not None and d.spend >= d.budget
        y = canvas.y(d.spend)
        of_budget = f" of {money(d.budget)} {currency} budget" if d.budget is not None else ""
        canvas.parts.append(
            f'<rect class="bar" x="{x + slot * 0.15:.1f}" y="{y}" width="{slot * 0.7:.1f}" '
            f'height="{max(BOTTOM - y, 0):.1f}" fill="{OVER if over else SPEND}"><title>'
            f"{escape(f'{d.day}: {money(d.spend)} {currency}{of_budget}')}</title></rect>"
        )
        if d.budget is not None:
            budget_path += [(x, canvas.y(d.budget)), (x + slot, canvas.y(d.budget))]
        if i % every == 0:
            canvas.x_label(x + slot / 2, d.day)
    canvas.line(budget_path, BUDGET, "4 3")
    rows = [(str(d.day), money(d.spend), "" if d.budget is None else money(d.budget)) for d in days]
    table = _table("Figures by day", ("day", f"spend ({currency})", f"budget ({currency})"), rows)
    return mark_safe(f'<figure class="chart">{canvas.done()}{table}</figure>')


def month_chart(month: MonthToDate, currency: str, chart_id: str, title: str) -> SafeString:
    """The month's cumulative spend so far against the expected spend, a dashed forecast to
    the month's end and the budget line, with its data table."""
    days, count = month.days, max(len(month.days), 1)
    spent = month.spent[-1] if month.spent else Decimal(0)
    desc = f"Spent {money(spent)} {currency} this month so far"
    if month.expected and month.spent:
        desc += f", against {money(month.expected[len(month.spent) - 1])} {currency} expected"
    if month.forecast is not None:
        desc += f"; forecast {money(month.forecast)} {currency} by the month's end"
    if month.budget is not None:
        desc += f"; budget {money(month.budget)} {currency}"
    values = [*month.spent, *month.expected, Decimal(0)]
    values += [v for v in (month.forecast, month.budget) if v is not None]
    canvas = _Canvas(max(values), chart_id, title, desc + ".")
    canvas.y_axis(currency)
    drawn = [(SPEND, "", "spent so far")]
    drawn += [(EXPECTED, "2 3", "expected")] if month.expected else []
    drawn += [(FORECAST, "7 4", "forecast")] if month.forecast is not None else []
    drawn += [(BUDGET, "4 3", "budget")] if month.budget is not None else []
    canvas.legend(drawn)
    if not days:
        canvas.empty("No days to show")

    def x(share: float) -> float:
        return LEFT + (RIGHT - LEFT) * share

    every = _label_every(len(days))
    for i, day in enumerate(days):
        if i % every == 0:
            canvas.x_label(x((i + 0.5) / count), day)
    if month.budget is not None:
        canvas.line([(x(0), canvas.y(month.budget)), (x(1), canvas.y(month.budget))], BUDGET, "4 3")
    expected = [(x(0), canvas.y(0))] + [
        (x((i + 1) / count), canvas.y(v)) for i, v in enumerate(month.expected)
    ]
    canvas.line(expected, EXPECTED, "2 3")
    # Days before today end at their day's end; today's figure is as of now.
    ends = [(i + 1) / count for i in range(len(month.spent))]
    if ends:
        ends[-1] = min(max(month.elapsed, (len(ends) - 1) / count), 1.0)
    points = [(x(share), canvas.y(v)) for share, v in zip(ends, month.spent, strict=True)]
    canvas.line([(x(0), canvas.y(0)), *points], SPEND)
    if month.forecast is not None and points:
        canvas.line([points[-1], (x(1), canvas.y(month.forecast))], FORECAST, "7 4")
    for i, (px, py) in enumerate(points):
        shown = f"{days[i]}: {money(month.spent[i])} {currency} spent so far"
        if i < len(month.expected):
            shown += f", {money(month.expected[i])} {currency} expected"
        canvas.parts.append(
            f'<circle class="point" cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{SPEND}">'
            f"<title>{escape(shown)}</title></circle>"
        )
    rows = [
        (
            str(day),
            money(month.spent[i]) if i < len(month.spent) else "",
            money(month.expected[i]) if i < len(month.expected) else "",
        )
        for i, day in enumerate(days)
    ]
    table = _table(
        "Figures by day",
        ("day", f"spent to date ({currency})", f"expected to date ({currency})"),
        rows,
    )
    return mark_safe(f'<figure class="chart">{canvas.done()}{table}</figure>')
