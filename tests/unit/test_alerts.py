"""Budget alerts at 80 % and 100 %, once per (subject, period, threshold), and their delivery."""

from __future__ import annotations

from datetime import timedelta

from adapters.in_memory import FixedClock, RecordingNotifier
from core.entities import Alert, Period, Subject
from core.use_cases.alerts import DeliverAlerts, DeliverAlertsCommand

from .support import App, snapshot, utc


def _keys(app: App) -> list[tuple[Subject, int, Period, str, int]]:
    return sorted(
        (
            a.key.subject,
            a.key.subject_id,
            a.key.period_kind,
            a.key.period.isoformat(),
            a.key.threshold,
        )
        for a in app.store.alerts()
    )


def test_reaching_80_percent_raises_one_alert(app: App) -> None:
    campaign = app.campaign(app.brand(), daily="100", monthly="1000")
    app.spend(campaign, "79.999999")
    assert app.store.alerts() == []
    result = app.spend(campaign, "0.000001")
    assert result.alerts == 1
    assert _keys(app) == [(Subject.CAMPAIGN, campaign.id, Period.DAY, "2026-06-15", 80)]


def test_crossing_80_and_100_percent_in_one_event_raises_both(app: App) -> None:
    campaign = app.campaign(app.brand(), daily="100", monthly="1000")
    assert app.spend(campaign, "150").alerts == 2
    assert [k[-1] for k in _keys(app)] == [80, 100]


def test_alerts_fire_once_per_campaign_period_and_threshold_however_events_are_retried(
    app: App, clock: FixedClock
) -> None:
    campaign = app.campaign(app.brand(), daily="100", monthly="1000")
    at = clock.now()
    batch = [
        {"campaign_id": campaign.id, "amount": "45", "key": "a", "occurred_at": at},
        {"campaign_id": campaign.id, "amount": "45", "key": "b", "occurred_at": at},
    ]
    assert app.spend_batch(batch).alerts == 1
    before = snapshot(app.store)
    for _ in range(3):
        clock.advance(timedelta(minutes=1))
        replay = app.spend_batch(batch)
        assert replay.duplicates == 2 and replay.alerts == 0
    assert snapshot(app.store) == before
    app.spend(campaign, "5")  # 95 %: no new threshold
    app.spend(campaign, "5")  # 100 %
    app.spend(campaign, "5")  # beyond: nothing new
    app.edit(campaign, daily_budget="200")
    app.spend(campaign, "60")  # 80 % of the new budget, in a period that already had it
    assert _keys(app) == [
        (Subject.CAMPAIGN, campaign.id, Period.DAY, "2026-06-15", 80),
        (Subject.CAMPAIGN, campaign.id, Period.DAY, "2026-06-15", 100),
    ]


def test_alerts_fire_again_in_the_next_period(app: App, clock: FixedClock) -> None:
    campaign = app.campaign(app.brand(), daily="100", monthly="1000")
    app.spend(campaign, "80")
    clock.set(utc(2026, 6, 16, 9))
    app.spend(campaign, "80")
    assert [k[3] for k in _keys(app)] == ["2026-06-15", "2026-06-16"]


def test_monthly_budget_alerts_name_the_month(app: App) -> None:
    campaign = app.campaign(app.brand(), daily="1000", monthly="100")
    app.spend(campaign, "100")
    assert _keys(app) == [
        (Subject.CAMPAIGN, campaign.id, Period.MONTH, "2026-06-01", 80),
        (Subject.CAMPAIGN, campaign.id, Period.MONTH, "2026-06-01", 100),
    ]
    alert = next(a for a in app.store.alerts() if a.key.threshold == 100)
    assert "monthly budget" in alert.message and "2026-06" in alert.message


def test_late_event_from_yesterday_raises_no_alert_for_today(app: App, clock: FixedClock) -> None:
    campaign = app.campaign(app.brand(), daily="100", monthly="1000")
    assert app.spend(campaign, "100", at=clock.now() - timedelta(days=1)).alerts == 0


def test_brand_alerts_sum_the_brand_campaigns_and_fire_once(app: App) -> None:
    brand = app.brand(daily_budget="100")
    first, second = app.campaign(brand, daily="1000"), app.campaign(brand, daily="1000")
    app.spend(first, "50")
    app.spend(second, "30")
    app.spend(second, "20")
    app.spend(first, "20")
    assert _keys(app) == [
        (Subject.BRAND, brand.id, Period.DAY, "2026-06-15", 80),
        (Subject.BRAND, brand.id, Period.DAY, "2026-06-15", 100),
    ]
    alert = next(a for a in app.store.alerts() if a.key.threshold == 100)
    assert alert.subject_name == brand.name and alert.budget.amount == 100


def test_deliver_alerts_sends_pending_ones_once(app: App, notifier: RecordingNotifier) -> None:
    campaign = app.campaign(app.brand(), daily="100")
    app.spend(campaign, "100")
    assert app.deliver().delivered == 2
    assert [a.key.threshold for a in notifier.sent] == [80, 100]
    assert all(a.delivered_at == app.now for a in app.store.alerts())
    assert app.deliver().delivered == 0
    assert len(notifier.sent) == 2


def test_deliver_alerts_keeps_failed_ones_pending_and_sends_them_later(
    app: App, notifier: RecordingNotifier
) -> None:
    campaign = app.campaign(app.brand(), daily="100")
    app.spend(campaign, "100")
    notifier.failing = True
    failed = app.deliver()
    assert (failed.delivered, failed.failed) == (0, 2)
    assert all(a.delivered_at is None for a in app.store.alerts())
    notifier.failing = False
    assert app.deliver().delivered == 2
    assert [a.key.threshold for a in notifier.sent] == [80, 100]


def test_deliver_alerts_marks_only_the_ones_that_went_out(app: App) -> None:
    class FailsOnFirst:
        def __init__(self) -> None:
            self.calls = 0
            self.sent: list[Alert] = []

        def send(self, alert: Alert) -> None:
            self.calls += 1
            if self.calls == 1:
                raise TimeoutError("webhook timed out")
            self.sent.append(alert)

    flaky = FailsOnFirst()
    deliver = DeliverAlerts(app.store.unit_of_work, flaky, app.clock)
    campaign = app.campaign(app.brand(), daily="100")
    app.spend(campaign, "100")
    result = deliver(DeliverAlertsCommand())
    assert (result.delivered, result.failed) == (1, 1)
    pending = [a for a in app.store.alerts() if a.delivered_at is None]
    assert [a.key.threshold for a in pending] == [80]
    assert deliver(DeliverAlertsCommand()).delivered == 1
    assert [a.key.threshold for a in flaky.sent] == [100, 80]
