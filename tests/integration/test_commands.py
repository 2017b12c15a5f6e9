"""Every management command run end to end through `call_command`, on the database the suite
runs on: what it prints, what it writes, `--now` replays, and bad input refused with the
option named and nothing written."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from django.core.management import call_command
from django.core.management.base import CommandError

from adapters.django_orm import models
from adapters.in_memory import FixedClock
from core.use_cases.brands import CreateBrandCommand
from core.use_cases.campaigns import CampaignActionCommand, CreateCampaignCommand
from core.use_cases.record_spend import RecordSpendCommand
from entrypoints.container import get_container

pytestmark = pytest.mark.django_db(transaction=True)

# A Friday in the middle of a month, far from DST changes in the zones used here.
NOW = datetime(2026, 6, 12, 12, 0, tzinfo=UTC)
PERIODIC = (
    "check_budgets",
    "reset_daily_spends",
    "reset_monthly_spends",
    "enforce_dayparting",
    "activate_eligible_campaigns",
    "reconcile",
)


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    clock = FixedClock(NOW)
    with get_container().clock.override(providers.Object(clock)):
        yield clock


def run(command: str, *args: str, **options: Any) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def run_failing(command: str, *args: str, **options: Any) -> tuple[str, str, str]:
    """(stdout, stderr, error message) of a command expected to raise CommandError."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(command, *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue(), str(raised.value)


def make_brand(name: str = "Hudson", timezone: str = "UTC", **fields: Any) -> int:
    brand = get_container().create_brand()(
        CreateBrandCommand(name=name, timezone=timezone, **fields)
    )
    return int(brand.id)


def make_campaign(
    brand_id: int,
    name: str = "Spring Sale",
    daily: str = "100",
    monthly: str = "1000",
    start: str = "2026-06-01",
    end: str | None = None,
    windows: tuple[dict[str, object], ...] = (),
    launch: bool = True,
) -> int:
    container = get_container()
    campaign = container.create_campaign()(
        CreateCampaignCommand(
            brand_id=brand_id,
            name=name,
            daily_budget=daily,
            monthly_budget=monthly,
            start_date=start,
            end_date=end,
            windows=windows,
        )
    )
    if launch:
        container.launch_campaign()(CampaignActionCommand(campaign.id))
    return int(campaign.id)


def spend(campaign_id: int, amount: str, key: str, at: datetime | None = None) -> None:
    event: dict[str, object] = {"campaign_id": campaign_id, "amount": amount, "key": key}
    if at is not None:
        event["occurred_at"] = at.isoformat()
    result = get_container().record_spend()(RecordSpendCommand(events=[event]))
    assert result.recorded == 1, result


def campaign(campaign_id: int) -> models.Campaign:
    return models.Campaign.objects.get(pk=campaign_id)


# -- --now, shared by every periodic command ----------------------------------------------------


@pytest.mark.parametrize("name", PERIODIC)
def test_periodic_commands_refuse_a_naive_malformed_or_future_now(
    clock: FixedClock, name: str
) -> None:
    for value, message in (
        ("2026-06-12T12:00:00", "--now: must be a timezone-aware instant"),
        ("yesterday", "--now: 'yesterday' is not an ISO-8601 instant"),
        ("2026-06-12T12:00:01Z", "--now: 2026-06-12T12:00:01+00:00 is in the future"),
    ):
        _, _, error = run_failing(name, now=value)
        assert error.startswith(message), (value, error)


@pytest.mark.parametrize("name", PERIODIC)
def test_periodic_commands_run_as_of_the_clock_without_now(clock: FixedClock, name: str) -> None:
    assert f"as of {NOW.isoformat()}" in run(name)


# -- the sweeps ---------------------------------------------------------------------------------


def test_check_budgets_holds_a_campaign_whose_budget_was_lowered_behind_its_back(
    clock: FixedClock,
) -> None:
    cid = make_campaign(make_brand())
    spend(cid, "60", "k1")
    # As if a budget had been edited outside the use cases (a data fix in the database).
    models.Campaign.objects.filter(pk=cid).update(daily_budget=Decimal(50))
    assert campaign(cid).status == "active"

    out = run("check_budgets")

    assert out.splitlines()[0] == (
        f"Budget check as of {NOW.isoformat()}: checked 1, held 1, released 0, activated 0, "
        "stopped 1"
    )
    assert "holds added: DAILY_BUDGET 1" in out
    row = campaign(cid)
    assert (row.status, row.hold_names) == ("paused", ["DAILY_BUDGET"])
    change = models.StatusChange.objects.filter(campaign_id=cid).latest("id")
    assert (change.cause, change.actor, change.to_status) == ("budget_check", "system", "paused")


def test_reset_daily_spends_releases_a_budget_hold_at_the_brands_local_midnight(
    clock: FixedClock,
) -> None:
    # 12:00 UTC is 17:30 in Kolkata; the brand's day ends at 18:30 UTC.
    cid = make_campaign(make_brand(timezone="Asia/Kolkata"))
    spend(cid, "100", "k1")
    assert campaign(cid).hold_names == ["DAILY_BUDGET"]
    clock.set(datetime(2026, 6, 13, 3, 0, tzinfo=UTC))  # the service is catching up

    before = run("reset_daily_spends", now="2026-06-12T18:29:59+00:00")
    assert "checked 0" in before
    assert campaign(cid).hold_names == ["DAILY_BUDGET"]

    out = run("reset_daily_spends", now="2026-06-13T00:00:00+05:30")

    assert out.splitlines()[0] == (
        "Period reset as of 2026-06-12T18:30:00+00:00: checked 1, held 0, released 1, "
        "activated 1, stopped 0, counters reset 1, brands reset 1"
    )
    assert "holds removed: DAILY_BUDGET 1" in out
    row = campaign(cid)
    assert (row.status, row.hold_names) == ("active", [])
    assert row.daily_spend == 0 and row.monthly_spend == 100
    # Idempotent: the same instant again, or the daily command's twin, finds nothing due.
    assert "checked 0" in run("reset_daily_spends", now="2026-06-12T18:30:00Z")
    assert "checked 0" in run("reset_monthly_spends", now="2026-06-12T18:30:00Z")


def test_reset_monthly_spends_starts_the_new_month_per_brand(clock: FixedClock) -> None:
    sydney = make_campaign(make_brand("Bondi", "Australia/Sydney"), monthly="150")
    new_york = make_campaign(make_brand("Hudson", "America/New_York"), monthly="150")
    for cid in (sydney, new_york):
        spend(cid, "90", f"a{cid}", NOW - timedelta(days=2))
        spend(cid, "60", f"b{cid}")
        assert campaign(cid).hold_names == ["MONTHLY_BUDGET"]
    clock.set(datetime(2026, 7, 2, tzinfo=UTC))

    # 1 July 00:00 in Sydney is 30 June 14:00 UTC; New York is still in June.
    out = run("reset_monthly_spends", now="2026-06-30T14:00:00Z")

    assert "released 1" in out
    assert campaign(sydney).hold_names == [] and campaign(sydney).monthly_spend == 0
    assert campaign(new_york).hold_names == ["MONTHLY_BUDGET"]

    run("reset_monthly_spends", now="2026-07-01T04:00:00Z")  # midnight in New York
    assert campaign(new_york).hold_names == []


def test_enforce_dayparting_holds_outside_the_window_and_releases_inside(
    clock: FixedClock,
) -> None:
    window = {"day_of_week": 5, "start_time": "09:00", "end_time": "17:00"}  # Friday
    cid = make_campaign(make_brand("Thames", "Europe/London"), windows=(window,))
    assert campaign(cid).status == "active"  # 13:00 in London
    clock.set(datetime(2026, 6, 13, 9, 0, tzinfo=UTC))

    out = run("enforce_dayparting", now="2026-06-12T17:00:00+01:00")

    assert out.splitlines() == [
        "Dayparting as of 2026-06-12T16:00:00+00:00: checked 1, held 1, released 0, "
        "activated 0, stopped 1",
        "  holds added: OUTSIDE_SCHEDULE 1",
    ]
    assert campaign(cid).hold_names == ["OUTSIDE_SCHEDULE"]
    # Replaying an instant inside the next window (Friday a week later is beyond the clock,
    # so move the clock there first).
    clock.set(datetime(2026, 6, 19, 12, 0, tzinfo=UTC))
    assert "released 1" in run("enforce_dayparting", now="2026-06-19T09:00:00+01:00")
    assert campaign(cid).status == "active"


def test_activate_eligible_campaigns_starts_and_completes_flights(clock: FixedClock) -> None:
    brand = make_brand()
    starting = make_campaign(brand, "Summer", start="2026-06-13")
    ending = make_campaign(brand, "Spring", start="2026-06-01", end="2026-06-12")
    assert campaign(starting).hold_names == ["NOT_STARTED"]
    clock.set(datetime(2026, 6, 13, 6, 0, tzinfo=UTC))

    out = run("activate_eligible_campaigns", now="2026-06-13T00:00:00Z")

    assert out.splitlines()[0] == (
        "Flight check as of 2026-06-13T00:00:00+00:00: checked 2, held 1, released 1, "
        "activated 1, stopped 1"
    )
    assert campaign(starting).status == "active"
    assert (campaign(ending).status, campaign(ending).hold_names) == ("completed", ["ENDED"])


# -- record_spend -------------------------------------------------------------------------------


def test_record_spend_records_then_reports_a_duplicate(clock: FixedClock) -> None:
    cid = make_campaign(make_brand(), daily="50")
    args = {"campaign": str(cid), "amount": "50.000001", "key": "rep-1"}

    first = run("record_spend", at="2026-06-12T11:00:00Z", description="Google Ads", **args)
    again = run("record_spend", at="2026-06-12T11:00:00Z", **args)

    assert first.strip() == (
        f"Recorded 50.000001 for campaign {cid} (key 'rep-1'); campaigns held: 1, alerts queued: 2."
    )
    assert "Duplicate" in again and "nothing changed" in again
    entry = models.SpendEntry.objects.get()
    assert (entry.amount, entry.description) == (Decimal("50.000001"), "Google Ads")
    assert entry.occurred_at == datetime(2026, 6, 12, 11, 0, tzinfo=UTC)
    assert campaign(cid).hold_names == ["DAILY_BUDGET"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"amount": "-5"}, "--amount: must be greater than zero"),
        ({"amount": "0"}, "--amount: must be greater than zero"),
        ({"amount": "NaN"}, "--amount: must be a finite number"),
        ({"amount": "1.0000001"}, "--amount: has more than 6 decimal places"),
        ({"amount": "ten"}, "--amount: 'ten' is not a number"),
        ({"campaign": "999"}, "--campaign: campaign 999 does not exist"),
        ({"campaign": "x"}, "--campaign: 'x' is not a campaign id"),
        ({"key": "  "}, "--key: is required"),
        ({"at": "2026-06-12T11:00:00"}, "--at: must be a timezone-aware instant"),
        ({"at": "2026-06-13T11:00:00Z"}, "--at: is in the future"),
        ({"key": "used", "amount": "2"}, "--key: 'used' was already recorded"),
    ],
)
def test_record_spend_refuses_bad_input_naming_the_option_and_writes_nothing(
    clock: FixedClock, options: dict[str, str], message: str
) -> None:
    cid = make_campaign(make_brand())
    spend(cid, "1", "used")
    args = {"campaign": str(cid), "amount": "1", "key": "new", **options}

    _, _, error = run_failing("record_spend", **args)

    assert error.startswith(message)
    assert error.endswith("(nothing was recorded)")
    assert models.SpendEntry.objects.count() == 1
    assert campaign(cid).daily_spend == 1


# -- import_spend -------------------------------------------------------------------------------


def write_csv(tmp_path: Path, text: str) -> str:
    path = tmp_path / "spend.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_spend_records_good_rows_and_reports_each_bad_one(
    clock: FixedClock, tmp_path: Path
) -> None:
    cid = make_campaign(make_brand(), daily="1000")
    csv_file = write_csv(
        tmp_path,
        "campaign_id,amount,key,occurred_at,description\n"
        f"{cid},10.50,r1,2026-06-12T09:00:00Z,Google Ads\n"
        f"{cid},-3,r2,,refund?\n"
        f"{cid},4.25,r3,,\n"
        f"999,1,r4,,\n"
        f"{cid},2,r5,2026-06-12 10:00,\n"
        f"{cid},3,r6,,extra,field\n"
        f"{cid},5,r7,2026-06-11T23:00:00+00:00,yesterday\n"
        f"{cid},10.50,r1,2026-06-12T09:00:00Z,Google Ads\n",
    )

    out, err, error = run_failing("import_spend", csv_file, batch_size=3)

    assert out.strip() == (
        "Imported spend.csv: 8 rows, recorded 3, duplicate 1, rejected 4; "
        "campaigns held 0, alerts queued 0"
    )
    assert err.splitlines() == [
        "row 2 (line 3): amount: must be greater than zero",
        "row 4 (line 5): campaign_id: campaign 999 does not exist",
        "row 5 (line 6): occurred_at: must be a timezone-aware instant",
        "row 6 (line 7): has more fields than the header's 5",
    ]
    assert error == "4 of 8 rows were rejected (listed above); every other row was recorded"
    assert sorted(models.SpendEntry.objects.values_list("key", flat=True)) == ["r1", "r3", "r7"]
    row = campaign(cid)
    # r7 happened yesterday: it counts for the month, not for today.
    assert (row.daily_spend, row.monthly_spend) == (Decimal("14.75"), Decimal("19.75"))


def test_import_spend_of_a_clean_file_succeeds_and_a_second_import_changes_nothing(
    clock: FixedClock, tmp_path: Path
) -> None:
    cid = make_campaign(make_brand(), daily="1000")
    lines = "".join(f"{cid},1.5,k{i},2026-06-12T0{i % 10}:00:00Z,\n" for i in range(25))
    csv_file = write_csv(tmp_path, "campaign_id,amount,key,occurred_at,description\n" + lines)

    first = run("import_spend", csv_file, batch_size=10)
    second = run("import_spend", csv_file)

    assert "25 rows, recorded 25, duplicate 0, rejected 0" in first
    assert "25 rows, recorded 0, duplicate 25, rejected 0" in second
    assert campaign(cid).daily_spend == Decimal("37.5")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "FILE.csv: the file is empty"),
        ("campaign_id,amount\n1,2\n", "FILE.csv: the header lacks the column(s) key"),
    ],
)
def test_import_spend_refuses_a_file_without_the_columns(
    clock: FixedClock, tmp_path: Path, text: str, message: str
) -> None:
    _, _, error = run_failing("import_spend", write_csv(tmp_path, text))
    assert error.startswith(message)
    assert not models.SpendEntry.objects.exists()


def test_import_spend_refuses_a_missing_file_and_a_bad_batch_size(
    clock: FixedClock, tmp_path: Path
) -> None:
    assert run_failing("import_spend", str(tmp_path / "nope.csv"))[2].startswith("FILE.csv:")
    csv_file = write_csv(tmp_path, "campaign_id,amount,key\n")
    assert run_failing("import_spend", csv_file, batch_size=0)[2].startswith("--batch-size:")


# -- reconcile ----------------------------------------------------------------------------------


def test_reconcile_reports_a_counter_that_disagrees_with_the_ledger_and_repairs_it(
    clock: FixedClock,
) -> None:
    cid = make_campaign(make_brand(), daily="100")
    spend(cid, "40", "k1")
    assert run("reconcile").splitlines() == [
        f"Reconcile as of {NOW.isoformat()}: checked 1 campaigns and 1 brands, 0 mismatches"
    ]
    models.Campaign.objects.filter(pk=cid).update(daily_spend=Decimal(100))  # corrupted

    out, _, error = run_failing("reconcile")
    assert f"  campaign {cid} daily: counter 100, ledger 40" in out
    assert "run `reconcile --repair`" in error
    assert campaign(cid).daily_spend == 100

    repaired = run("reconcile", repair=True)
    assert "Repaired: the counters now equal the ledger." in repaired
    assert campaign(cid).daily_spend == 40
    assert "0 mismatches" in run("reconcile")


# -- seed_data ----------------------------------------------------------------------------------


def test_seed_data_builds_brands_in_several_time_zones_with_spend_history(
    clock: FixedClock,
) -> None:
    out = run("seed_data", brands=6, campaigns_per_brand=4, seed=7)

    assert out.startswith("Seeded 6 brands (")
    zones = set(models.Brand.objects.values_list("timezone", flat=True))
    assert {
        "America/New_York",
        "Europe/London",
        "Asia/Kolkata",
        "Australia/Sydney",
        "Pacific/Kiritimati",
    } <= zones
    assert models.Campaign.objects.count() == 24
    assert models.Campaign.objects.exclude(state="draft").count() >= 12
    assert models.Window.objects.exists()
    entries = models.SpendEntry.objects.all()
    assert entries.count() > 24
    assert min(e.occurred_at for e in entries) < NOW - timedelta(days=3)
    assert max(e.occurred_at for e in entries) <= NOW
    # Everything went through the use cases: counters match the ledger, statuses audited.
    assert "0 mismatches" in run("reconcile")
    assert models.StatusChange.objects.count() >= 24


def test_seed_data_twice_adds_more_without_failing(clock: FixedClock) -> None:
    run("seed_data", brands=3, campaigns_per_brand=2, seed=1)
    out = run("seed_data", brands=3, campaigns_per_brand=2, seed=1)

    assert "Seeded 3 brands" in out
    assert "already in use" in out
    assert models.Brand.objects.count() == 6
    assert models.Campaign.objects.count() == 12


def test_seed_data_refuses_negative_counts(clock: FixedClock) -> None:
    assert run_failing("seed_data", brands=-1)[2] == "--brands: must be zero or more"
    assert run_failing("seed_data", campaigns_per_brand=-1)[2].startswith("--campaigns-per-brand")
    assert not models.Brand.objects.exists()


# -- create_api_token ---------------------------------------------------------------------------


def test_create_api_token_prints_a_working_token_on_the_last_line(clock: FixedClock) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    User.objects.create(username="ops", is_staff=True, is_superuser=True)
    brand = make_brand()

    token = run("create_api_token", "ops", name="ad-platform").splitlines()[-1]

    response = Client().get(f"/api/v1/brands/{brand}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Hudson"


def test_create_api_token_warns_when_the_user_may_not_use_the_api(clock: FixedClock) -> None:
    from django.contrib.auth.models import User

    User.objects.create(username="viewer")
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "viewer", stdout=out, stderr=err)
    assert "lacks the permission api.use_api" in err.getvalue()
    assert len(out.getvalue().splitlines()[-1]) >= 40


def test_create_api_token_refuses_an_unknown_user(clock: FixedClock) -> None:
    _, _, error = run_failing("create_api_token", "nobody")
    assert error.startswith("USER: there is no user named 'nobody'")
