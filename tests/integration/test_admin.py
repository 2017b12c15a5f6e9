"""The admin through Django's test client as a logged-in staff user: every changelist and
filter, the add and change forms, the actions, errors shown instead of 500s, and the ledger,
audit log and alerts read-only for everyone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from dependency_injector import providers
from django.contrib.admin import site
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from adapters.django_orm import models
from adapters.in_memory import FixedClock
from core.use_cases.brands import CreateBrandCommand
from core.use_cases.campaigns import CampaignActionCommand, CreateCampaignCommand
from core.use_cases.record_spend import RecordSpendCommand
from entrypoints.admin import display as admin_display
from entrypoints.admin.campaigns import CampaignAdmin
from entrypoints.container import get_container

pytestmark = pytest.mark.django_db(transaction=True)

# A Friday, 12:00 UTC, in the middle of a month.
NOW = datetime(2026, 6, 12, 12, 0, tzinfo=UTC)
ADMIN = "/admin/budget"


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    clock = FixedClock(NOW)
    with get_container().clock.override(providers.Object(clock)):
        yield clock


@pytest.fixture
def client(clock: FixedClock) -> Client:
    # No password: hashing one costs more than the rest of a test's setup.
    user = User.objects.create(username="olivia", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def make_brand(name: str = "Hudson", timezone: str = "UTC", **fields: Any) -> int:
    brand = get_container().create_brand()(
        CreateBrandCommand(name=name, timezone=timezone, **fields)
    )
    return int(brand.id)


def make_campaign(
    brand_id: int,
    name: str,
    daily: str = "100",
    start: str = "2026-06-01",
    windows: tuple[dict[str, object], ...] = (),
    launch: bool = True,
) -> int:
    container = get_container()
    campaign = container.create_campaign()(
        CreateCampaignCommand(
            brand_id=brand_id,
            name=name,
            daily_budget=daily,
            monthly_budget="1000",
            start_date=start,
            windows=windows,
        )
    )
    if launch:
        container.launch_campaign()(CampaignActionCommand(campaign.id))
    return int(campaign.id)


def spend(campaign_id: int, amount: str, key: str) -> None:
    event = {"campaign_id": campaign_id, "amount": amount, "key": key}
    assert get_container().record_spend()(RecordSpendCommand(events=[event])).recorded == 1


def campaign(campaign_id: int) -> models.Campaign:
    return models.Campaign.objects.get(pk=campaign_id)


@pytest.fixture
def portfolio(clock: FixedClock) -> dict[str, int]:
    """Campaigns in every interesting status: running, held by budget, outside its window,
    paused by the operator, a draft, and one of another brand."""
    hudson = make_brand("Hudson", "America/New_York", daily_budget="5000")
    thames = make_brand("Thames", "Europe/London", currency="GBP")
    ids = {
        "hudson": hudson,
        "thames": thames,
        "running": make_campaign(hudson, "Running"),
        "spent": make_campaign(hudson, "Spent", daily="50"),
        "night": make_campaign(
            hudson,
            "Night",
            windows=({"day_of_week": 5, "start_time": "22:00", "end_time": "02:00"},),
        ),
        "paused": make_campaign(hudson, "Paused"),
        "draft": make_campaign(hudson, "Draft", launch=False),
        "london": make_campaign(thames, "London"),
    }
    spend(ids["spent"], "50", "s1")
    spend(ids["running"], "40", "r1")
    get_container().pause_campaign()(CampaignActionCommand(ids["paused"]))
    return ids


def names(response: Any) -> set[str]:
    """Campaign names shown in a changelist."""
    result = response.context["cl"].result_list
    return {row.name for row in result}


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# -- changelists ---------------------------------------------------------------------------------


def test_campaign_changelist_shows_status_holds_in_words_and_budget_bars(
    client: Client, portfolio: dict[str, int]
) -> None:
    response = client.get(f"{ADMIN}/campaign/")

    assert response.status_code == 200
    assert names(response) == {"Running", "Spent", "Night", "Paused", "Draft", "London"}
    html = response.content.decode()
    assert "today&#x27;s spend has reached the daily budget" in html
    assert "outside its dayparting windows" in html
    assert "40.00 / 100.00 USD (40%)" in html  # Running's day
    assert "50.00 / 50.00 USD (100%)" in html  # Spent's day, exhausted
    assert "background:#ba2121" in html  # the red bar of an exhausted budget


def test_campaign_changelist_filters_by_status_hold_state_and_search(
    client: Client, portfolio: dict[str, int]
) -> None:
    cases = {
        "status__exact=active": {"Running", "London"},
        "status__exact=paused": {"Spent", "Night", "Paused"},
        "status__exact=draft": {"Draft"},
        "hold=DAILY_BUDGET": {"Spent"},
        "hold=OUTSIDE_SCHEDULE": {"Night"},
        "hold=none": {"Running", "Paused", "Draft", "London"},
        "hold=BRAND_INACTIVE": set(),
        "state__exact=paused": {"Paused"},
        "q=ondo": {"London"},
    }
    shown = {}
    for query in cases:
        response = client.get(f"{ADMIN}/campaign/?{query}")
        assert response.status_code == 200, query
        shown[query] = names(response)
    assert shown == cases


def test_campaign_changelist_filters_by_brand(client: Client, portfolio: dict[str, int]) -> None:
    response = client.get(f"{ADMIN}/campaign/?brand__id__exact={portfolio['thames']}")
    assert names(response) == {"London"}


def test_brand_changelist_shows_todays_and_this_months_totals(
    client: Client, portfolio: dict[str, int], clock: FixedClock
) -> None:
    response = client.get(f"{ADMIN}/brand/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "90.00 / 5,000.00 USD (2%)" in html  # Hudson has a brand-wide daily budget
    assert "0.00 GBP" in html  # Thames spent nothing
    assert client.get(f"{ADMIN}/brand/?is_active__exact=1").status_code == 200
    assert client.get(f"{ADMIN}/brand/?timezone=Europe%2FLondon").status_code == 200
    assert client.get(f"{ADMIN}/brand/?q=Hud").status_code == 200

    # The next day in New York the stored counters belong to an earlier day: they read as 0.
    clock.set(datetime(2026, 6, 13, 5, 0, tzinfo=UTC))
    html = client.get(f"{ADMIN}/brand/").content.decode()
    assert "0.00 / 5,000.00 USD (0%)" in html
    assert "90.00 USD" in html  # this month still counts it
    assert "0.00 / 100.00 USD (0%)" in client.get(f"{ADMIN}/campaign/").content.decode()


def test_brand_changelist_counts_each_brands_campaigns_without_reading_every_campaign(
    client: Client, portfolio: dict[str, int]
) -> None:
    make_brand("Empty", "UTC")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{ADMIN}/brand/")
    counts = {row.name: row.campaign_total for row in response.context["cl"].result_list}
    assert counts == {"Hudson": 5, "Thames": 1, "Empty": 0}
    # Counted per listed brand: no query of the list joins the whole campaign table.
    joins = [q["sql"] for q in queries.captured_queries if "JOIN" in q["sql"]]
    assert joins == []
    column = list(response.context["cl"].list_display).index("campaign_count")
    ordered = client.get(f"{ADMIN}/brand/?o=-{column}").context["cl"].result_list
    assert [row.name for row in ordered] == ["Hudson", "Thames", "Empty"]


@pytest.mark.parametrize(
    "path",
    [
        "spendentry/",
        "spendentry/?actor__exact=system",
        "statuschange/",
        "statuschange/?cause__exact=spend",
        "statuschange/?to_status__exact=paused",
        "alert/",
        "alert/?threshold__exact=100",
    ],
)
def test_ledger_audit_and_alert_changelists(
    client: Client, portfolio: dict[str, int], path: str
) -> None:
    response = client.get(f"{ADMIN}/{path}")
    assert response.status_code == 200
    assert response.context["cl"].result_count > 0


@pytest.mark.parametrize("model", ["spendentry", "statuschange"])
def test_the_actor_filter_offers_the_automation_and_each_user_without_scanning_the_records(
    client: Client, portfolio: dict[str, int], model: str
) -> None:
    User.objects.create(username="ops")
    spend(portfolio["london"], "5", "by-ops")  # the automation, "system", records it
    with CaptureQueriesContext(connection) as queries:
        listed = client.get(f"{ADMIN}/{model}/")
    (actors,) = [f for f in listed.context["cl"].filter_specs if f.title == "actor"]
    assert [value for value, _ in actors.lookup_choices] == ["system", "olivia", "ops"]
    assert not [q for q in queries.captured_queries if "DISTINCT" in q["sql"]]
    everything = listed.context["cl"].result_count
    assert client.get(f"{ADMIN}/{model}/?actor__exact=system").context["cl"].result_count == (
        everything
    )
    assert client.get(f"{ADMIN}/{model}/?actor__exact=ops").context["cl"].result_count == 0


@pytest.mark.parametrize("threshold", [0, 10**9])
def test_large_lists_are_counted_from_the_statistics_only_unfiltered_on_postgresql(
    client: Client,
    portfolio: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    threshold: int,
) -> None:
    monkeypatch.setattr(admin_display, "ESTIMATE_ABOVE", threshold)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "postgresql" else "SELECT 1")
    entries = models.SpendEntry.objects.count()
    with CaptureQueriesContext(connection) as queries:
        listed = client.get(f"{ADMIN}/spendentry/")
    counted = [q for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert listed.context["cl"].result_count == entries
    estimated = connection.vendor == "postgresql" and threshold == 0
    assert (counted == []) == estimated
    with CaptureQueriesContext(connection) as queries:
        filtered = client.get(f"{ADMIN}/spendentry/?q=s1")
    assert filtered.context["cl"].result_count == 1
    assert [q for q in queries.captured_queries if "COUNT(" in q["sql"]]


def test_campaign_history_links_open_the_filtered_ledger_and_audit_log(
    client: Client, portfolio: dict[str, int]
) -> None:
    cid = portfolio["spent"]
    ledger = client.get(f"{ADMIN}/spendentry/?campaign__id__exact={cid}")
    audit = client.get(f"{ADMIN}/statuschange/?campaign__id__exact={cid}")

    assert [e.key for e in ledger.context["cl"].result_list] == ["s1"]
    assert [(c.from_status, c.to_status) for c in audit.context["cl"].result_list] == [
        ("active", "paused"),  # newest first
        ("draft", "active"),
        (None, "draft"),
    ]


# -- read-only records ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["spendentry", "statuschange", "alert"])
def test_records_cannot_be_added_changed_or_deleted_even_by_a_superuser(
    client: Client, portfolio: dict[str, int], model: str
) -> None:
    pk = {
        "spendentry": models.SpendEntry,
        "statuschange": models.StatusChange,
        "alert": models.Alert,
    }[model].objects.values_list("pk", flat=True)[0]
    before = client.get(f"{ADMIN}/{model}/{pk}/change/")
    assert before.status_code == 200  # viewing is fine
    assert "Save" not in before.content.decode()

    assert client.get(f"{ADMIN}/{model}/add/").status_code == 403
    assert client.post(f"{ADMIN}/{model}/add/", {}).status_code == 403
    assert client.post(f"{ADMIN}/{model}/{pk}/change/", {"actor": "x"}).status_code == 403
    assert client.get(f"{ADMIN}/{model}/{pk}/delete/").status_code == 403
    assert client.post(f"{ADMIN}/{model}/{pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = client.post(f"{ADMIN}/{model}/", {"action": "delete_selected", "_selected_action": [pk]})
    assert bulk.status_code in (200, 302)
    assert type(before.context["original"]).objects.filter(pk=pk).exists()


def test_brands_and_campaigns_cannot_be_deleted(client: Client, portfolio: dict[str, int]) -> None:
    assert client.get(f"{ADMIN}/brand/{portfolio['hudson']}/delete/").status_code == 403
    assert client.get(f"{ADMIN}/campaign/{portfolio['draft']}/delete/").status_code == 403


# -- brands: add and change ---------------------------------------------------------------------


BRAND_FORM = {
    "name": "Bondi Surfwear",
    "timezone": "Australia/Sydney",
    "currency": "aud",
    "is_active": "on",
    "daily_budget": "",
    "monthly_budget": "20000",
}


def test_brand_add_form_creates_a_brand_through_the_use_case(client: Client) -> None:
    assert client.get(f"{ADMIN}/brand/add/").status_code == 200

    response = client.post(f"{ADMIN}/brand/add/", BRAND_FORM, follow=True)

    assert response.status_code == 200
    brand = models.Brand.objects.get(name="Bondi Surfwear")
    assert (brand.timezone, brand.currency, brand.daily_budget, brand.monthly_budget) == (
        "Australia/Sydney",
        "AUD",  # normalised by the core
        None,
        Decimal(20000),
    )
    assert any("was added successfully" in m for m in messages_of(response))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "is not a known IANA time zone"),
        ({"currency": "dollars"}, "currency", "three-letter ISO 4217 code"),
        ({"monthly_budget": "-1"}, "monthly_budget", "must be greater than zero"),
        ({"daily_budget": "0"}, "daily_budget", "must be greater than zero"),
        ({"name": "Hudson"}, "name", "a brand named 'Hudson' already exists"),
    ],
)
def test_brand_add_form_shows_domain_errors_on_their_fields(
    client: Client, changes: dict[str, str], field: str, message: str
) -> None:
    make_brand("Hudson")

    response = client.post(f"{ADMIN}/brand/add/", {**BRAND_FORM, **changes})

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    assert models.Brand.objects.count() == 1


def test_brand_change_form_deactivating_holds_every_campaign(
    client: Client, portfolio: dict[str, int]
) -> None:
    hudson = portfolio["hudson"]
    page = client.get(f"{ADMIN}/brand/{hudson}/change/")
    assert page.status_code == 200
    assert "this brand&#x27;s campaigns" in page.content.decode()

    response = client.post(
        f"{ADMIN}/brand/{hudson}/change/",
        {
            **BRAND_FORM,
            "name": "Hudson",
            "timezone": "America/New_York",
            "currency": "USD",
            "is_active": "",
            "daily_budget": "5000",
            "monthly_budget": "",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert any("campaign(s) were recomputed" in m for m in messages_of(response))
    assert all(
        "BRAND_INACTIVE" in c.hold_names for c in models.Campaign.objects.filter(brand_id=hudson)
    )
    assert campaign(portfolio["running"]).status == "paused"
    change = models.StatusChange.objects.filter(campaign_id=portfolio["running"]).latest("id")
    assert (change.cause, change.actor) == ("brand_edit", "olivia")


def test_brand_change_form_shows_errors_and_changes_nothing(
    client: Client, portfolio: dict[str, int]
) -> None:
    hudson = portfolio["hudson"]
    response = client.post(
        f"{ADMIN}/brand/{hudson}/change/",
        {**BRAND_FORM, "name": "Thames", "timezone": "Nowhere/Town", "currency": "USD"},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "timezone" in errors
    brand = models.Brand.objects.get(pk=hudson)
    assert (brand.name, brand.timezone, brand.monthly_budget) == (
        "Hudson",
        "America/New_York",
        None,
    )


# -- campaigns: add and change ------------------------------------------------------------------


def windows_management(total: int, initial: int = 0) -> dict[str, str]:
    return {
        "windows-TOTAL_FORMS": str(total),
        "windows-INITIAL_FORMS": str(initial),
        "windows-MIN_NUM_FORMS": "0",
        "windows-MAX_NUM_FORMS": "1000",
    }


def campaign_form(brand: int, **changes: str) -> dict[str, str]:
    return {
        "brand": str(brand),
        "name": "Autumn",
        "daily_budget": "75.50",
        "monthly_budget": "1500",
        "start_date": "2026-06-01",
        "end_date": "",
        **windows_management(1),
        "windows-0-day_of_week": "5",
        "windows-0-start_time": "09:00",
        "windows-0-end_time": "17:00",
        **changes,
    }


def test_campaign_add_form_creates_a_draft_with_its_windows(
    client: Client, portfolio: dict[str, int]
) -> None:
    page = client.get(f"{ADMIN}/campaign/add/")
    assert page.status_code == 200
    assert "state" not in page.context["adminform"].form.fields

    response = client.post(
        f"{ADMIN}/campaign/add/", campaign_form(portfolio["thames"]), follow=True
    )

    assert response.status_code == 200
    row = models.Campaign.objects.get(name="Autumn")
    assert (row.state, row.status, row.daily_budget) == ("draft", "draft", Decimal("75.5"))
    assert [(w.day_of_week, f"{w.start_time:%H:%M}") for w in row.windows.all()] == [(5, "09:00")]
    created = models.StatusChange.objects.get(campaign=row)
    assert (created.cause, created.actor) == ("created", "olivia")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"daily_budget": "-5"}, "daily_budget", "must be greater than zero"),
        ({"monthly_budget": "0"}, "monthly_budget", "must be greater than zero"),
        ({"end_date": "2026-05-01"}, "end_date", "is before start_date"),
        ({"name": "London"}, "name", "already has a campaign named 'London'"),
    ],
)
def test_campaign_add_form_shows_domain_errors_and_writes_nothing(
    client: Client, portfolio: dict[str, int], changes: dict[str, str], field: str, message: str
) -> None:
    before = models.Campaign.objects.count()

    response = client.post(f"{ADMIN}/campaign/add/", campaign_form(portfolio["thames"], **changes))

    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors[field])
    assert models.Campaign.objects.count() == before
    assert not models.Window.objects.filter(start_time="09:00").exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"windows-0-start_time": "25:00"}, "start_time", "Enter a valid time"),
        ({"windows-0-end_time": "17:00:30"}, "end_time", "must be a whole minute"),
        ({"windows-0-day_of_week": "9"}, "day_of_week", "Select a valid choice"),
    ],
)
def test_campaign_add_form_shows_window_errors_on_the_inline(
    client: Client, portfolio: dict[str, int], changes: dict[str, str], field: str, message: str
) -> None:
    before = models.Campaign.objects.count()

    response = client.post(f"{ADMIN}/campaign/add/", campaign_form(portfolio["thames"], **changes))

    assert response.status_code == 200
    inline = response.context["inline_admin_formsets"][0].formset
    assert message in " ".join(inline.forms[0].errors[field])
    assert models.Campaign.objects.count() == before


def change_form(row: models.Campaign, **changes: str) -> dict[str, str]:
    windows = list(row.windows.all())
    data = {
        "name": row.name,
        "daily_budget": str(row.daily_budget),
        "monthly_budget": str(row.monthly_budget),
        "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat() if row.end_date else "",
        **windows_management(len(windows) + 1, len(windows)),
    }
    for i, w in enumerate(windows):
        data |= {
            f"windows-{i}-id": str(w.pk),
            f"windows-{i}-campaign": str(row.pk),
            f"windows-{i}-day_of_week": str(w.day_of_week),
            f"windows-{i}-start_time": f"{w.start_time:%H:%M}",
            f"windows-{i}-end_time": f"{w.end_time:%H:%M}",
        }
    return data | changes


def test_campaign_change_form_shows_status_holds_and_bars_read_only(
    client: Client, portfolio: dict[str, int]
) -> None:
    response = client.get(f"{ADMIN}/campaign/{portfolio['spent']}/change/")

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert set(form.fields) == {"name", "daily_budget", "monthly_budget", "start_date", "end_date"}
    html = response.content.decode()
    assert "today&#x27;s spend has reached the daily budget" in html
    assert "50.00 / 50.00 USD (100%)" in html
    assert "status changes" in html and "spend ledger" in html


def test_lowering_a_budget_in_the_change_form_holds_the_campaign_at_once(
    client: Client, portfolio: dict[str, int]
) -> None:
    row = campaign(portfolio["running"])  # 40 spent today of 100

    response = client.post(
        f"{ADMIN}/campaign/{row.pk}/change/", change_form(row, daily_budget="40"), follow=True
    )

    assert response.status_code == 200
    assert any("was changed successfully" in m for m in messages_of(response))
    row = campaign(row.pk)
    assert (row.daily_budget, row.status, row.hold_names) == (
        Decimal(40),
        "paused",
        ["DAILY_BUDGET"],
    )
    change = models.StatusChange.objects.filter(campaign=row).latest("id")
    assert (change.cause, change.actor, change.to_status) == ("edit", "olivia", "paused")


@pytest.mark.parametrize("typed", ["\u0661\u0662\u0663", "1_000", "+5", "1e2", "12.5000001", "-3"])
def test_a_budget_typed_in_any_other_form_than_plain_digits_is_refused_on_its_field(
    client: Client, portfolio: dict[str, int], typed: str
) -> None:
    row = campaign(portfolio["running"])
    before = (row.daily_budget, row.status)

    response = client.post(
        f"{ADMIN}/campaign/{row.pk}/change/", change_form(row, daily_budget=typed)
    )

    assert response.status_code == 200  # the form again, not a redirect
    assert response.context["adminform"].form.errors["daily_budget"]
    row = campaign(row.pk)
    assert (row.daily_budget, row.status) == before


def test_a_brand_budget_is_read_as_typed_and_left_out_when_blank(
    client: Client, portfolio: dict[str, int]
) -> None:
    brand_id = make_brand("Arabic digits")
    url = f"{ADMIN}/brand/{brand_id}/change/"
    form = {"name": "Arabic digits", "timezone": "UTC", "currency": "USD", "is_active": "on"}

    refused = client.post(url, {**form, "daily_budget": "\u0665\u0660", "monthly_budget": ""})
    assert refused.context["adminform"].form.errors["daily_budget"]
    assert models.Brand.objects.get(pk=brand_id).daily_budget is None

    client.post(url, {**form, "daily_budget": " 50.5 ", "monthly_budget": ""})
    brand = models.Brand.objects.get(pk=brand_id)
    assert (brand.daily_budget, brand.monthly_budget) == (Decimal("50.5"), None)


def test_state_status_and_counters_cannot_be_posted(
    client: Client, portfolio: dict[str, int]
) -> None:
    row = campaign(portfolio["draft"])
    client.post(
        f"{ADMIN}/campaign/{row.pk}/change/",
        change_form(row, state="enabled", status="active", holds="", daily_spend="0"),
    )
    row = campaign(row.pk)
    assert (row.state, row.status) == ("draft", "draft")


def test_editing_windows_in_the_change_form_replaces_the_schedule(
    client: Client, portfolio: dict[str, int]
) -> None:
    row = campaign(portfolio["night"])  # Friday 22:00-02:00; it is Friday 08:00 in New York
    assert row.hold_names == ["OUTSIDE_SCHEDULE"]
    data = change_form(
        row,
        **{
            "windows-1-day_of_week": "5",
            "windows-1-start_time": "07:30",
            "windows-1-end_time": "09:00",
        },
    )

    response = client.post(f"{ADMIN}/campaign/{row.pk}/change/", data, follow=True)

    assert response.status_code == 200
    row = campaign(row.pk)
    assert sorted(f"{w.start_time:%H:%M}" for w in row.windows.all()) == ["07:30", "22:00"]
    assert (row.status, row.hold_names) == ("active", [])
    change = models.StatusChange.objects.filter(campaign=row).latest("id")
    assert (change.cause, change.actor) == ("schedule", "olivia")

    # Deleting every window lifts the restriction.
    data = change_form(row)
    data |= {"windows-0-DELETE": "on", "windows-1-DELETE": "on"}
    client.post(f"{ADMIN}/campaign/{row.pk}/change/", data)
    assert not campaign(row.pk).windows.exists()


def test_campaign_change_form_shows_errors_and_changes_nothing(
    client: Client, portfolio: dict[str, int]
) -> None:
    row = campaign(portfolio["running"])

    response = client.post(
        f"{ADMIN}/campaign/{row.pk}/change/",
        change_form(row, daily_budget="12.1234567", end_date="2026-01-01"),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "daily_budget" in errors
    after = campaign(row.pk)
    assert (after.daily_budget, after.end_date) == (row.daily_budget, None)


def test_a_refused_save_asks_the_use_case_once_and_shows_the_posted_form_again(
    client: Client, portfolio: dict[str, int]
) -> None:
    row = campaign(portfolio["running"])
    update = get_container().update_campaign()
    commands: list[Any] = []

    def counted(command: Any) -> Any:
        commands.append(command)
        return update(command)

    with get_container().update_campaign.override(providers.Object(counted)):
        response = client.post(
            f"{ADMIN}/campaign/{row.pk}/change/",
            change_form(row, name="Renamed", end_date="2026-05-01"),
        )

    assert response.status_code == 200
    assert len(commands) == 1
    form = response.context["adminform"].form
    assert "is before start_date" in " ".join(form.errors["end_date"])
    assert form["name"].value() == "Renamed"
    assert campaign(row.pk).name == "Running"


def test_names_and_codes_are_judged_by_the_core_not_by_the_database_columns(
    client: Client,
) -> None:
    response = client.post(
        f"{ADMIN}/brand/add/", {**BRAND_FORM, "name": "N" * 201, "currency": "dollars"}
    )

    errors = response.context["adminform"].form.errors
    assert errors["name"] == ["must be at most 200 characters"]
    assert errors["currency"] == ["must be a three-letter ISO 4217 code such as USD"]
    assert not models.Brand.objects.exists()


def test_the_change_history_names_the_fields_and_the_windows_changed(
    client: Client, portfolio: dict[str, int]
) -> None:
    from django.contrib.admin.models import LogEntry

    row = campaign(portfolio["night"])
    windows = {
        "windows-1-day_of_week": "1",
        "windows-1-start_time": "08:00",
        "windows-1-end_time": "09:00",
    }
    client.post(
        f"{ADMIN}/campaign/{row.pk}/change/",
        change_form(row, name="Late", daily_budget="90", **windows),
    )
    client.post(f"{ADMIN}/campaign/add/", campaign_form(portfolio["thames"]))

    history = LogEntry.objects.order_by("id")
    assert [(e.object_repr, e.get_change_message()) for e in history] == [
        ("Late", "Changed Name and Daily budget. Changed dayparting windows."),
        ("Autumn", "Added. Changed dayparting windows."),
    ]


# -- actions -------------------------------------------------------------------------------------


def act(client: Client, action: str, *ids: int) -> Any:
    return client.post(
        f"{ADMIN}/campaign/",
        {"action": action, "_selected_action": [str(i) for i in ids]},
        follow=True,
    )


def test_launch_action_launches_drafts_and_reports_the_rest(
    client: Client, portfolio: dict[str, int]
) -> None:
    response = act(client, "launch", portfolio["draft"], portfolio["running"])

    assert response.status_code == 200
    shown = messages_of(response)
    assert "Launch: 1 campaign(s): Draft (now active)." in shown
    assert any(
        m.startswith("Could not launch 1 campaign(s): Running: only a draft campaign")
        for m in shown
    )
    assert campaign(portfolio["draft"]).status == "active"
    change = models.StatusChange.objects.filter(campaign_id=portfolio["draft"]).latest("id")
    assert (change.cause, change.actor) == ("launch", "olivia")


def test_pause_and_resume_actions(client: Client, portfolio: dict[str, int]) -> None:
    running, spent = portfolio["running"], portfolio["spent"]

    paused = act(client, "pause", running, spent)
    assert "Pause: 2 campaign(s): Running (now paused), Spent (now paused)." in messages_of(paused)
    assert campaign(running).state == "paused"

    resumed = act(client, "resume", running, spent)
    # Resuming lifts only the operator's pause: Spent stays held by its daily budget.
    assert "Resume: 2 campaign(s): Running (now active), Spent (now paused)." in messages_of(
        resumed
    )
    assert campaign(spent).hold_names == ["DAILY_BUDGET"]
    actors = set(
        models.StatusChange.objects.filter(
            campaign_id__in=[running, spent], cause__in=["pause", "resume"]
        ).values_list("actor", flat=True)
    )
    assert actors == {"olivia"}


def test_pausing_a_draft_is_refused_with_a_message(
    client: Client, portfolio: dict[str, int]
) -> None:
    response = act(client, "pause", portfolio["draft"])

    assert response.status_code == 200
    assert any("a draft campaign cannot be paused" in m for m in messages_of(response))
    assert campaign(portfolio["draft"]).state == "draft"


# -- permissions ---------------------------------------------------------------------------------


def test_a_view_only_operator_sees_campaigns_but_cannot_change_or_act(
    clock: FixedClock, portfolio: dict[str, int]
) -> None:
    from django.contrib.auth.models import Permission

    viewer = User.objects.create(username="victor", is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_campaign", "view_brand"])
    )
    client = Client()
    client.force_login(viewer)
    row = campaign(portfolio["running"])

    assert client.get(f"{ADMIN}/campaign/").status_code == 200
    assert client.get(f"{ADMIN}/campaign/{row.pk}/change/").status_code == 200
    assert client.post(f"{ADMIN}/campaign/{row.pk}/change/", change_form(row)).status_code == 403
    act(client, "pause", row.pk)
    assert campaign(row.pk).state == "enabled"


def test_the_change_form_keeps_its_csrf_protection(
    client: Client, portfolio: dict[str, int]
) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(User.objects.get(username="olivia"))
    row = campaign(portfolio["running"])

    response = strict.post(f"{ADMIN}/campaign/{row.pk}/change/", change_form(row, name="X"))

    assert response.status_code == 403
    assert campaign(row.pk).name == "Running"


# -- what an operator's trial found ---------------------------------------------------------------


def spend_at(campaign_id: int, amount: str, key: str, at: datetime) -> None:
    event = {"campaign_id": campaign_id, "amount": amount, "key": key, "occurred_at": at}
    assert get_container().record_spend()(RecordSpendCommand(events=[event])).recorded == 1


def test_money_shows_with_its_currency_to_its_usual_places_and_more_only_when_not_zero() -> None:
    show = admin_display.format_money
    assert show(Decimal("500.000000"), "USD") == "500.00 USD"
    assert show(Decimal("12.345678"), "USD") == "12.345678 USD"
    assert show(Decimal("12.300000"), "EUR") == "12.30 EUR"
    assert show(Decimal("1500.000000"), "JPY") == "1,500 JPY"
    assert show(Decimal("0.500000"), "JPY") == "0.5 JPY"
    assert show(Decimal("2.500000"), "KWD") == "2.500 KWD"
    assert show(Decimal("1234567.890000"), "XYZ") == "1,234,567.89 XYZ"  # two places unless known


def test_the_ledger_is_newest_first_with_brand_currency_local_times_and_the_filtered_total(
    client: Client, portfolio: dict[str, int]
) -> None:
    spend_at(portfolio["london"], "12.345678", "late", datetime(2026, 6, 10, 9, 0, tzinfo=UTC))
    spend_at(portfolio["running"], "7", "early", datetime(2026, 6, 12, 1, 0, tzinfo=UTC))

    response = client.get(f"{ADMIN}/spendentry/")

    rows = response.context["cl"].result_list
    assert [e.key for e in rows] == ["r1", "s1", "early", "late"]  # by occurred_at, newest first
    html = response.content.decode()
    assert "12.345678 GBP" in html and "40.00 USD" in html
    assert "2026-06-10 10:00 BST" in html  # London's wall clock
    assert "2026-06-11 21:00 EDT" in html  # New York's: the evening before in UTC terms
    assert "Thames" in html  # the brand column
    # The date hierarchy offers each day from the first entry to the last, without asking
    # the database for the distinct days.
    for day in (10, 11, 12):
        assert f"occurred_at__day={day}" in html
    assert response.context["subtitle"] == "Total of these 4 entries: 12.345678 GBP + 97.00 USD"

    hudson = client.get(f"{ADMIN}/spendentry/?campaign__brand__id__exact={portfolio['hudson']}")
    assert hudson.context["subtitle"] == "Total of these 3 entries: 97.00 USD"
    day = client.get(
        f"{ADMIN}/spendentry/?occurred_at__year=2026&occurred_at__month=6&occurred_at__day=10"
    )
    assert [e.key for e in day.context["cl"].result_list] == ["late"]
    assert day.context["subtitle"] == "Total of these 1 entries: 12.345678 GBP"


def test_the_ledger_total_is_one_query_and_left_out_for_a_large_unfiltered_ledger(
    client: Client, portfolio: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    with CaptureQueriesContext(connection) as queries:
        client.get(f"{ADMIN}/spendentry/?campaign__brand__id__exact={portfolio['hudson']}")
    assert len([q for q in queries.captured_queries if "SUM(" in q["sql"]]) == 1

    monkeypatch.setattr(admin_display, "ESTIMATE_ABOVE", 1)
    with CaptureQueriesContext(connection) as queries:
        large = client.get(f"{ADMIN}/spendentry/")
    assert not [q for q in queries.captured_queries if "SUM(" in q["sql"]]
    assert "choose a day, a brand or a campaign" in large.context["subtitle"]


def test_status_changes_are_newest_first_with_the_brand_column_and_filter(
    client: Client, portfolio: dict[str, int]
) -> None:
    response = client.get(f"{ADMIN}/statuschange/")

    ids = [row.pk for row in response.context["cl"].result_list]
    assert ids == sorted(ids, reverse=True)
    html = response.content.decode()
    assert "Thames" in html and "Hudson" in html
    assert "2026-06-12 08:00 EDT" in html
    london = client.get(f"{ADMIN}/statuschange/?campaign__brand__id__exact={portfolio['thames']}")
    assert {row.campaign.name for row in london.context["cl"].result_list} == {"London"}


def listing_queries(client: Client, model: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        client.get(f"{ADMIN}/{model}/")
    return len(queries.captured_queries)


def test_alerts_name_the_brand_of_a_campaign_or_of_a_brand_in_one_query(
    client: Client, portfolio: dict[str, int]
) -> None:
    before = listing_queries(client, "alert")
    capped = make_brand("Capped", "Europe/Berlin", currency="EUR", daily_budget="10")
    spend(make_campaign(capped, "Small"), "10", "c1")  # the brand's 80 % and 100 % alerts

    response = client.get(f"{ADMIN}/alert/")
    rows = response.context["cl"].result_list
    brands = {(row.subject, row.subject_name): row.brand_name for row in rows}
    assert brands[("campaign", "Spent")] == "Hudson"
    assert brands[("brand", "Capped")] == "Capped"
    ids = [row.pk for row in rows]
    assert ids == sorted(ids, reverse=True)  # newest first
    html = response.content.decode()
    assert "10.00 EUR" in html and "50.00 USD" in html and ".000000" not in html
    assert "2026-06-12 14:00 CEST" in html  # Berlin's wall clock
    # The brand of every row comes with the page's own query: no query per row.
    assert listing_queries(client, "alert") == before

    only = client.get(f"{ADMIN}/alert/?brand={portfolio['hudson']}")
    assert {row.subject_name for row in only.context["cl"].result_list} == {"Spent"}
    both = client.get(f"{ADMIN}/alert/?brand={capped}")
    assert {row.subject for row in both.context["cl"].result_list} == {"brand"}


def test_why_it_is_stopped_names_the_operator_who_paused_and_says_draft_for_a_draft(
    client: Client, portfolio: dict[str, int], clock: FixedClock
) -> None:
    User.objects.create(username="ops")
    clock.set(datetime(2026, 6, 12, 13, 30, tzinfo=UTC))
    get_container().pause_campaign()(CampaignActionCommand(portfolio["london"], actor="ops"))

    response = client.get(f"{ADMIN}/campaign/")
    shown = CampaignAdmin(models.Campaign, site)
    why = {row.name: shown.holds_explained(row) for row in response.context["cl"].result_list}
    assert why["Paused"] == "paused by an operator (system, 2026-06-12 08:00 EDT)"
    assert why["London"] == "paused by an operator (ops, 2026-06-12 14:30 BST)"
    assert why["Draft"] == "draft"
    assert why["Running"] == "—"

    # Paused while already held: neither its status nor its holds changed, so no row says
    # who paused it, and no earlier action is taken for it.
    get_container().pause_campaign()(CampaignActionCommand(portfolio["spent"], actor="ops"))
    page = client.get(f"{ADMIN}/campaign/{portfolio['spent']}/change/").content.decode()
    assert "paused by an operator; today&#x27;s spend has reached the daily budget" in page


def test_the_campaign_list_reads_who_paused_without_a_query_per_campaign(
    client: Client, portfolio: dict[str, int]
) -> None:
    def queries_for_the_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            client.get(f"{ADMIN}/campaign/")
        return len(queries.captured_queries)

    before = queries_for_the_list()
    hudson = portfolio["hudson"]
    for n in range(4):
        get_container().pause_campaign()(
            CampaignActionCommand(make_campaign(hudson, f"More {n}"), actor="ops")
        )
    assert queries_for_the_list() == before


def test_the_status_shows_as_a_coloured_pill(client: Client, portfolio: dict[str, int]) -> None:
    html = client.get(f"{ADMIN}/campaign/").content.decode()
    for status in ("active", "paused", "draft"):
        text, background = admin_display.STATUS_COLOURS[admin_display.Status(status)]
        assert f'color:{text};background:{background}">{status}</span>' in html


def test_the_campaign_page_shows_the_brands_local_time_beside_the_windows(
    client: Client, portfolio: dict[str, int]
) -> None:
    html = client.get(f"{ADMIN}/campaign/{portfolio['night']}/change/").content.decode()
    assert "Fri 12 Jun 2026 08:00 EDT (America/New_York)" in html
    brand = client.get(f"{ADMIN}/brand/{portfolio['thames']}/change/").content.decode()
    assert "Fri 12 Jun 2026 13:00 BST (Europe/London)" in brand


def test_forms_show_budgets_to_the_currencys_places(
    client: Client, portfolio: dict[str, int]
) -> None:
    yen = make_brand("Sakura", "Asia/Tokyo", currency="JPY", monthly_budget="900000")
    yen_campaign = make_campaign(yen, "Tokyo", daily="15000.5")

    def value(path: str, field: str) -> str:
        return str(client.get(path).context["adminform"].form[field].value())

    assert value(f"{ADMIN}/campaign/{portfolio['running']}/change/", "daily_budget") == "100.00"
    assert value(f"{ADMIN}/campaign/{yen_campaign}/change/", "monthly_budget") == "1000"
    assert value(f"{ADMIN}/campaign/{yen_campaign}/change/", "daily_budget") == "15000.5"
    assert value(f"{ADMIN}/brand/{yen}/change/", "monthly_budget") == "900000"
    page = client.get(f"{ADMIN}/campaign/{yen_campaign}/change/").content.decode()
    assert 'value="1000"' in page and "1000.000000" not in page


def test_saving_a_budget_below_todays_spend_says_what_changed(
    client: Client, portfolio: dict[str, int]
) -> None:
    row = campaign(portfolio["running"])  # 40 spent today of 100

    lowered = client.post(
        f"{ADMIN}/campaign/{row.pk}/change/", change_form(row, daily_budget="40"), follow=True
    )
    (saved,) = [unescape(m) for m in messages_of(lowered) if "was changed successfully" in m]
    assert saved.endswith(
        "was changed successfully. Now paused: today's spend has reached the daily budget."
    )

    row = campaign(row.pk)
    raised = client.post(
        f"{ADMIN}/campaign/{row.pk}/change/", change_form(row, daily_budget="90"), follow=True
    )
    (saved,) = [unescape(m) for m in messages_of(raised) if "was changed successfully" in m]
    assert saved.endswith("Now active. No longer: today's spend has reached the daily budget.")

    renamed = client.post(
        f"{ADMIN}/campaign/{row.pk}/change/",
        change_form(campaign(row.pk), name="Renamed"),
        follow=True,
    )
    (saved,) = [m for m in messages_of(renamed) if "was changed successfully" in m]
    assert saved.endswith("was changed successfully.")


def test_seed_data_counts_the_seeded_campaigns_held_by_a_budget(clock: FixedClock) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "seed_data", "--brands", "4", "--campaigns-per-brand", "6", "--seed", "8", stdout=out
    )

    reported = int(out.getvalue().split("campaigns held by spend: ")[1].split(")")[0])
    held = sum(
        1
        for row in models.Campaign.objects.all()
        if {"DAILY_BUDGET", "MONTHLY_BUDGET", "BRAND_DAILY_BUDGET", "BRAND_MONTHLY_BUDGET"}
        & set(row.hold_names)
    )
    assert reported == held
    assert held > 0
