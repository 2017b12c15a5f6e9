"""Bad input raises a domain error naming the field, and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import pytest

from core.entities import Conflict, DomainError, InvalidInput, NotFound
from core.entities.money import Money
from core.use_cases.brands import CreateBrandCommand, UpdateBrandCommand
from core.use_cases.campaigns import (
    CampaignActionCommand,
    CreateCampaignCommand,
    ReplaceScheduleCommand,
    UpdateCampaignCommand,
)
from core.use_cases.record_spend import Outcome, RecordSpendCommand
from core.use_cases.sweeps import SweepCommand

from .support import App, snapshot, window

BAD_AMOUNTS = [
    pytest.param("0", id="zero"),
    pytest.param(0, id="zero-int"),
    pytest.param("0.000000", id="zero-with-places"),
    pytest.param("-1", id="negative"),
    pytest.param(Decimal("-0.5"), id="negative-decimal"),
    pytest.param("NaN", id="nan"),
    pytest.param(Decimal("NaN"), id="nan-decimal"),
    pytest.param("sNaN", id="signalling-nan"),
    pytest.param("Infinity", id="infinite"),
    pytest.param("-inf", id="minus-infinite"),
    pytest.param(Decimal("Infinity"), id="infinite-decimal"),
    pytest.param("1.0000001", id="seven-places"),
    pytest.param(Decimal("0.1234567"), id="seven-places-decimal"),
    pytest.param("1e-7", id="seven-places-exponent"),
    pytest.param(1.5, id="float"),
    pytest.param(0.1, id="float-inexact"),
    pytest.param("abc", id="not-a-number"),
    pytest.param("", id="empty"),
    pytest.param(None, id="missing"),
    pytest.param(True, id="boolean"),
    pytest.param(["1"], id="list"),
    pytest.param("1e30", id="too-large"),
    pytest.param("12345678901234567890123456789.1234567", id="too-large-and-too-precise"),
    # Forms Decimal() reads but the documented pattern ^[0-9]+(\.[0-9]{1,6})?$ does not.
    pytest.param("\u0661\u0662\u0663", id="arabic-indic-digits"),
    pytest.param("\uff11\uff12", id="fullwidth-digits"),
    pytest.param("1_000", id="underscore"),
    pytest.param("+5", id="plus-sign"),
    pytest.param(" 12.5 ", id="spaces"),
    pytest.param("12.5\n", id="trailing-newline"),
    pytest.param("1e2", id="exponent"),
    pytest.param("1E2", id="exponent-capital"),
    pytest.param(".5", id="no-integer-digits"),
    pytest.param("5.", id="point-without-places"),
    pytest.param("1,5", id="decimal-comma"),
]


def _fields(error: DomainError) -> list[str]:
    return [e.field for e in error.errors]


def _rejects(
    app: App, call: Callable[[], object], field: str, kind: type[DomainError] = DomainError
) -> DomainError:
    before = snapshot(app.store)
    with pytest.raises(kind) as raised:
        call()
    assert field in _fields(raised.value), raised.value
    assert all(e.message for e in raised.value.errors)
    assert snapshot(app.store) == before
    return raised.value


# -- amounts and budgets ------------------------------------------------------------------------


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_a_bad_spend_amount_is_rejected_naming_amount_and_changes_nothing(
    app: App, amount: object
) -> None:
    campaign = app.campaign(app.brand())
    before = snapshot(app.store)
    result = app.spend(campaign, amount, key="evt-1")
    (outcome,) = result.results
    assert outcome.outcome is Outcome.REJECTED
    assert [e.field for e in outcome.errors] == ["amount"]
    assert snapshot(app.store) == before


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
@pytest.mark.parametrize("field", ["daily_budget", "monthly_budget"])
def test_a_bad_campaign_budget_is_refused_on_create_and_on_edit(
    app: App, amount: object, field: str
) -> None:
    brand = app.brand()
    campaign = app.campaign(brand)
    good = {"daily_budget": "100", "monthly_budget": "1000"}
    command = CreateCampaignCommand(
        brand_id=brand.id,
        name="New",
        start_date="2026-06-01",
        **{**good, field: amount},  # type: ignore[arg-type]
    )
    _rejects(app, lambda: app.create_campaign(command), field, InvalidInput)
    _rejects(app, lambda: app.edit(campaign, **{field: amount}), field, InvalidInput)


@pytest.mark.parametrize(
    "amount", [p for p in BAD_AMOUNTS if p.values[0] not in (None, "")]
)  # no value means no brand-wide budget
@pytest.mark.parametrize("field", ["daily_budget", "monthly_budget"])
def test_a_bad_brand_budget_is_refused_on_create_and_on_edit(
    app: App, amount: object, field: str
) -> None:
    brand = app.brand()
    command = CreateBrandCommand(name="Other", **{field: amount})  # type: ignore[arg-type]
    _rejects(app, lambda: app.create_brand(command), field, InvalidInput)
    _rejects(app, lambda: app.edit_brand(brand, **{field: amount}), field, InvalidInput)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.000001", "0.000001"),
        ("12.5", "12.5"),
        (7, "7"),
        (Decimal("3.140000"), "3.14"),
        ("42", "42"),
        ("007.50", "7.5"),
        ("999999999999", "999999999999"),
        (Decimal("1E+2"), "100"),  # a JSON number 1e2 is exact: only text must be plain digits
    ],
)
def test_good_amounts_are_kept_exactly(raw: object, expected: str) -> None:
    assert Money.parse(raw, "amount").amount == Decimal(expected)


def test_the_money_pattern_is_the_one_the_api_documents() -> None:
    from core.entities.money import MONEY_PATTERN

    assert MONEY_PATTERN == r"^[0-9]+(\.[0-9]{1,6})?$"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-5", "must be greater than zero"),
        ("1.0000001", "has more than 6 decimal places"),
        ("NaN", "must be a finite number"),
        ("-Infinity", "must be a finite number"),
        ("  ", "is required"),
        ("\u0661\u0662\u0663", "is not a number written as ASCII digits"),
        ("1_000", "is not a number written as ASCII digits"),
    ],
)
def test_a_refused_money_text_says_why(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        Money.parse(raw, "amount")
    assert raised.value.errors[0].field == "amount"
    assert message in raised.value.errors[0].message


# -- time zones, dates, windows -----------------------------------------------------------------


@pytest.mark.parametrize(
    "tz", ["Mars/Olympus_Mons", "America/NewYork", "", "   ", None, 5, "../etc/passwd"]
)
def test_an_unknown_time_zone_is_refused_naming_timezone(app: App, tz: object) -> None:
    brand = app.brand()
    _rejects(app, lambda: app.create_brand(CreateBrandCommand(name="X", timezone=tz)), "timezone")
    _rejects(app, lambda: app.edit_brand(brand, timezone=tz), "timezone")


@pytest.mark.parametrize("currency", ["usd dollars", "US", "", 840])
def test_a_bad_currency_is_refused_naming_currency(app: App, currency: object) -> None:
    _rejects(
        app, lambda: app.create_brand(CreateBrandCommand(name="X", currency=currency)), "currency"
    )


def test_an_end_date_before_the_start_date_is_refused_on_create(app: App) -> None:
    brand = app.brand()
    command = CreateCampaignCommand(
        brand_id=brand.id,
        name="Backwards",
        daily_budget="10",
        monthly_budget="100",
        start_date="2026-06-10",
        end_date="2026-06-09",
    )
    _rejects(app, lambda: app.create_campaign(command), "end_date", InvalidInput)


def test_an_edit_that_puts_the_end_before_the_start_is_refused(app: App) -> None:
    campaign = app.campaign(app.brand(), start=date(2026, 6, 10), end=date(2026, 6, 20))
    _rejects(app, lambda: app.edit(campaign, end_date="2026-06-09"), "end_date", InvalidInput)
    _rejects(app, lambda: app.edit(campaign, start_date="2026-06-21"), "end_date", InvalidInput)
    _rejects(
        app,
        lambda: app.edit(campaign, start_date="2026-07-01", end_date="2026-06-30"),
        "end_date",
        InvalidInput,
    )


@pytest.mark.parametrize(
    "value", ["2026-13-01", "2026-02-30", "tomorrow", 20260601, datetime(2026, 6, 1)]
)
def test_a_bad_date_is_refused_naming_the_field(app: App, value: object) -> None:
    campaign = app.campaign(app.brand())
    _rejects(app, lambda: app.edit(campaign, start_date=value), "start_date", InvalidInput)
    _rejects(app, lambda: app.edit(campaign, end_date=value), "end_date", InvalidInput)


@pytest.mark.parametrize(
    ("bad_window", "field"),
    [
        pytest.param(window(1, "24:00", "02:00"), "windows[1].start_time", id="hour-24"),
        pytest.param(window(1, "09:00", "25:00"), "windows[1].end_time", id="end-hour-25"),
        pytest.param(window(1, "09:60", "10:00"), "windows[1].start_time", id="minute-60"),
        pytest.param(window(1, "09:00", "10:75"), "windows[1].end_time", id="end-minute-75"),
        pytest.param(window(1, "-1:00", "10:00"), "windows[1].start_time", id="negative-hour"),
        pytest.param(window(1, "9:5", "10:00"), "windows[1].start_time", id="not-hh-mm"),
        pytest.param(window(1, "09:00:30", "10:00"), "windows[1].start_time", id="seconds"),
        pytest.param(
            {"day_of_week": 1, "start_time": "09:00"}, "windows[1].end_time", id="missing"
        ),
        pytest.param(window(0, "09:00", "10:00"), "windows[1].day_of_week", id="day-0"),
        pytest.param(window(8, "09:00", "10:00"), "windows[1].day_of_week", id="day-8"),
        pytest.param(window("Monday", "09:00", "10:00"), "windows[1].day_of_week", id="day-name"),  # type: ignore[arg-type]
        pytest.param(window(True, "09:00", "10:00"), "windows[1].day_of_week", id="day-bool"),  # type: ignore[arg-type]
        pytest.param(window("\u0665", "09:00", "10:00"), "windows[1].day_of_week", id="day-arabic"),  # type: ignore[arg-type]
        pytest.param(window("+5", "09:00", "10:00"), "windows[1].day_of_week", id="day-signed"),  # type: ignore[arg-type]
        pytest.param(
            window(1, "\u0660\u0669:00", "10:00"), "windows[1].start_time", id="arabic-digits"
        ),
        pytest.param("Mon 9-5", "windows[1]", id="not-an-object"),
    ],
)
def test_a_bad_window_is_refused_naming_the_window_field(
    app: App, bad_window: object, field: str
) -> None:
    brand = app.brand()
    campaign = app.campaign(brand, windows=[window(2, "09:00", "17:00")])
    windows = [window(1, "08:00", "09:00"), bad_window]
    _rejects(app, lambda: app.schedule(campaign, *windows), field, InvalidInput)  # type: ignore[arg-type]
    command = CreateCampaignCommand(
        brand_id=brand.id,
        name="Windowed",
        daily_budget="10",
        monthly_budget="100",
        start_date="2026-06-01",
        windows=windows,  # type: ignore[arg-type]
    )
    _rejects(app, lambda: app.create_campaign(command), field, InvalidInput)


# -- unknown things and taken names -------------------------------------------------------------


def test_spend_for_an_unknown_campaign_is_rejected_naming_campaign_id(app: App) -> None:
    app.campaign(app.brand())
    before = snapshot(app.store)
    for campaign_id in (999, "999", 0, -3, "abc", None, True, "\u0661", "+1", " 1", "1_0", "1\n"):
        result = app.spend_batch([{"campaign_id": campaign_id, "amount": "1", "key": "k"}])
        assert result.results[0].outcome is Outcome.REJECTED
        assert [e.field for e in result.results[0].errors] == ["campaign_id"], campaign_id
    assert snapshot(app.store) == before


@pytest.mark.parametrize("campaign_id", [999, "999"])
def test_operator_actions_on_an_unknown_campaign_raise_not_found(
    app: App, campaign_id: object
) -> None:
    app.campaign(app.brand())
    calls: list[Callable[[], object]] = [
        lambda: app.launch_campaign(CampaignActionCommand(campaign_id)),
        lambda: app.pause_campaign(CampaignActionCommand(campaign_id)),
        lambda: app.resume_campaign(CampaignActionCommand(campaign_id)),
        lambda: app.update_campaign(UpdateCampaignCommand(campaign_id, daily_budget="5")),
        lambda: app.replace_schedule(ReplaceScheduleCommand(campaign_id, [])),
    ]
    for call in calls:
        _rejects(app, call, "campaign_id", NotFound)


@pytest.mark.parametrize(
    "campaign_id", [0, -1, "abc", None, 1.0, "\u0661", "\uff11", "+1", " 1 ", "1_0", "1\n"]
)
def test_operator_actions_on_a_malformed_campaign_id_raise_invalid_input(
    app: App, campaign_id: object
) -> None:
    _rejects(
        app,
        lambda: app.pause_campaign(CampaignActionCommand(campaign_id)),
        "campaign_id",
        InvalidInput,
    )


def test_a_campaign_for_an_unknown_brand_raises_not_found_naming_brand_id(app: App) -> None:
    app.brand()
    command = CreateCampaignCommand(
        brand_id=999,
        name="Orphan",
        daily_budget="10",
        monthly_budget="100",
        start_date="2026-06-01",
    )
    _rejects(app, lambda: app.create_campaign(command), "brand_id", NotFound)


def test_editing_an_unknown_brand_raises_not_found_naming_brand_id(app: App) -> None:
    app.brand()
    _rejects(app, lambda: app.update_brand(UpdateBrandCommand(999, name="X")), "brand_id", NotFound)


def test_a_taken_brand_name_is_a_conflict_on_name(app: App) -> None:
    app.brand("Acme")
    other = app.brand("Globex")
    _rejects(app, lambda: app.brand("Acme"), "name", Conflict)
    _rejects(app, lambda: app.brand("  Acme "), "name", Conflict)
    _rejects(app, lambda: app.edit_brand(other, name="Acme"), "name", Conflict)


def test_a_campaign_name_taken_within_its_brand_is_a_conflict_on_name(app: App) -> None:
    brand, other_brand = app.brand(), app.brand()
    app.campaign(brand, "Spring")
    summer = app.campaign(brand, "Summer")
    _rejects(app, lambda: app.campaign(brand, "Spring"), "name", Conflict)
    _rejects(app, lambda: app.edit(summer, name="Spring"), "name", Conflict)
    assert app.campaign(other_brand, "Spring").name == "Spring"


@pytest.mark.parametrize("name", ["", "   ", None, "x" * 201])
def test_a_missing_or_overlong_name_is_refused_naming_name(app: App, name: object) -> None:
    _rejects(app, lambda: app.create_brand(CreateBrandCommand(name=name)), "name", InvalidInput)


# Control characters (Unicode category Cc) and the bidirectional formatting characters.
UNREADABLE_TEXT = [
    pytest.param("Acme\x00", id="nul"),
    pytest.param("Ac\x07me", id="bell"),
    pytest.param("Ac\tme", id="tab"),
    pytest.param("Ac\nme", id="newline"),
    pytest.param("Ac\x1bme", id="escape"),
    pytest.param("Ac\x7fme", id="delete"),
    pytest.param("Ac\x85me", id="c1-next-line"),
    pytest.param("Ac\x9fme", id="c1-last"),
    pytest.param("Acme\u202egpj.exe", id="right-to-left-override"),
    pytest.param("Ac\u202ame", id="left-to-right-embedding"),
    pytest.param("Ac\u200eme", id="left-to-right-mark"),
    pytest.param("Ac\u200fme", id="right-to-left-mark"),
    pytest.param("Ac\u061cme", id="arabic-letter-mark"),
    pytest.param("Ac\u2066me", id="left-to-right-isolate"),
    pytest.param("Ac\u2069me", id="pop-directional-isolate"),
    pytest.param("Ac\ud800me", id="lone-surrogate"),
]


@pytest.mark.parametrize("name", UNREADABLE_TEXT)
def test_a_name_with_control_or_bidi_characters_is_refused_naming_name(app: App, name: str) -> None:
    brand = app.brand()
    campaign = app.campaign(brand)
    _rejects(app, lambda: app.create_brand(CreateBrandCommand(name=name)), "name", InvalidInput)
    _rejects(app, lambda: app.edit_brand(brand, name=name), "name", InvalidInput)
    _rejects(app, lambda: app.campaign(brand, name), "name", InvalidInput)
    _rejects(app, lambda: app.edit(campaign, name=name), "name", InvalidInput)


@pytest.mark.parametrize("text", UNREADABLE_TEXT)
@pytest.mark.parametrize("field", ["key", "description"])
def test_a_spend_key_or_description_with_control_or_bidi_characters_is_rejected(
    app: App, text: str, field: str
) -> None:
    campaign = app.campaign(app.brand())
    before = snapshot(app.store)
    event = {"campaign_id": campaign.id, "amount": "1", "key": "k", field: text}
    (outcome,) = app.spend_batch([event]).results
    assert outcome.outcome is Outcome.REJECTED
    assert [e.field for e in outcome.errors] == [field]
    assert snapshot(app.store) == before


@pytest.mark.parametrize(
    "name",
    [
        "Caf\u00e9 \u0645\u0642\u0647\u0649",
        "\u6771\u4eac \U0001f600",
        "A\u00a0B",
        "Zero\u200bWidth",
    ],
)
def test_names_in_any_script_are_kept(app: App, name: str) -> None:
    assert app.brand(name).name == name


def test_the_refusal_names_the_character_found(app: App) -> None:
    with pytest.raises(InvalidInput) as raised:
        app.create_brand(CreateBrandCommand(name="Acme\u202egpj.exe"))
    assert "U+202E" in raised.value.errors[0].message


def test_a_brand_id_in_other_digits_is_refused_naming_brand_id(app: App) -> None:
    app.brand()
    for brand_id in ("\u0661", "\uff11", "+1", " 1", "1_0"):
        command = CreateCampaignCommand(
            brand_id=brand_id,
            name="Digits",
            daily_budget="10",
            monthly_budget="100",
            start_date="2026-06-01",
        )
        _rejects(app, lambda c=command: app.create_campaign(c), "brand_id", InvalidInput)


# -- several at once, batches, instants ---------------------------------------------------------


def test_every_bad_field_is_reported_at_once(app: App) -> None:
    command = CreateCampaignCommand(
        brand_id="x",
        name="",
        daily_budget="-1",
        monthly_budget="NaN",
        start_date="someday",
        windows=[window(9, "25:00", "10:61")],
    )
    error = _rejects(app, lambda: app.create_campaign(command), "name", InvalidInput)
    assert set(_fields(error)) == {
        "brand_id",
        "name",
        "daily_budget",
        "monthly_budget",
        "start_date",
        "windows[0].day_of_week",
        "windows[0].start_time",
        "windows[0].end_time",
    }


def test_an_event_reports_each_of_its_bad_fields(app: App) -> None:
    result = app.spend_batch(
        [
            {
                "campaign_id": "x",
                "amount": 1.5,
                "key": "",
                "occurred_at": "yesterday",
                "description": 5,
            }
        ]
    )
    assert {e.field for e in result.results[0].errors} == {
        "campaign_id",
        "amount",
        "key",
        "occurred_at",
        "description",
    }


@pytest.mark.parametrize(
    "occurred_at",
    [
        "2026-06-15T10:00:00",
        datetime(2026, 6, 15, 10),
        "15/06/2026",
        1718445600,
        # Before year 1 once moved to UTC.
        "0001-01-01T00:00:00+14:00",
    ],
)
def test_an_instant_without_offset_or_not_iso_is_rejected_naming_occurred_at(
    app: App, occurred_at: object
) -> None:
    campaign = app.campaign(app.brand())
    before = snapshot(app.store)
    result = app.spend_batch(
        [{"campaign_id": campaign.id, "amount": "1", "key": "k", "occurred_at": occurred_at}]
    )
    assert [e.field for e in result.results[0].errors] == ["occurred_at"]
    assert snapshot(app.store) == before


def test_an_empty_batch_is_refused_naming_events(app: App) -> None:
    _rejects(app, lambda: app.record_spend(RecordSpendCommand([])), "events", InvalidInput)


def test_an_event_that_is_not_an_object_is_rejected(app: App) -> None:
    result = app.record_spend(RecordSpendCommand(["not an event"]))  # type: ignore[list-item]
    assert result.results[0].outcome is Outcome.REJECTED


def test_a_sweep_at_a_naive_instant_is_refused_naming_now() -> None:
    with pytest.raises(InvalidInput) as raised:
        SweepCommand(datetime(2026, 6, 15, 12))
    assert raised.value.field == "now"
