"""The composition root: the one place where ports meet their adapters.

Every entrypoint (management command, admin action, Celery task, HTTP view) asks the
container for a use case and calls it once:

    from entrypoints.container import get_container
    result = get_container().record_spend()(RecordSpendCommand(events=[...]))

`get_container()` is the process-wide instance (a Celery worker gets its own on first use,
like the web process); `build_container()` makes a fresh one. Tests override providers:

    with container.uow.override(providers.Object(store.unit_of_work)): ...
    with container.clock.override(providers.Object(FixedClock(now))): ...

Neither the core nor the adapters import this module."""

from __future__ import annotations

from functools import cache

from dependency_injector import containers, providers
from django.conf import settings

from adapters.clock import SystemClock
from adapters.django_mail import DjangoEmailNotifier
from adapters.django_orm.runner import ThreadRunner
from adapters.django_orm.unit_of_work import DjangoUnitOfWork
from adapters.notifiers import FanOutNotifier, LoggingNotifier, WebhookNotifier
from core.ports import AlertNotifier
from core.use_cases.alerts import DeliverAlerts
from core.use_cases.apply_dayparting import ApplyDayparting
from core.use_cases.brands import CreateBrand, UpdateBrand
from core.use_cases.campaigns import (
    CreateCampaign,
    LaunchCampaign,
    PauseCampaign,
    ReplaceSchedule,
    ResumeCampaign,
    UpdateCampaign,
)
from core.use_cases.enforce_budgets import EnforceBudgets
from core.use_cases.flight import CheckFlight
from core.use_cases.pacing_alerts import CheckPacing
from core.use_cases.reconcile import Reconcile
from core.use_cases.record_spend import RecordSpend
from core.use_cases.reset_period import ResetPeriod
from entrypoints.metrics import CountedNotifier


def notifier_from_settings() -> AlertNotifier:
    """A log line always; an e-mail to settings.ALERT_EMAILS and a POST to
    settings.ALERT_WEBHOOK_URL when they are set. If any channel fails the alert stays
    pending and every channel is tried again (alerts are sent at least once)."""
    notifiers: list[AlertNotifier] = [LoggingNotifier()]
    emails: list[str] = list(getattr(settings, "ALERT_EMAILS", []))
    if emails:
        notifiers.append(DjangoEmailNotifier(emails, getattr(settings, "DEFAULT_FROM_EMAIL", None)))
    webhook: str = getattr(settings, "ALERT_WEBHOOK_URL", "")
    if webhook:
        notifiers.append(CountedNotifier("webhook", WebhookNotifier(webhook)))
    return notifiers[0] if len(notifiers) == 1 else FanOutNotifier(notifiers)


class Container(containers.DeclarativeContainer):
    # -- ports ---------------------------------------------------------------------------
    clock = providers.Singleton(SystemClock)
    # `uow()` gives one unit of work; use cases get the provider itself as their factory
    # (`uow.provider`), so overriding `uow` reaches every use case.
    uow = providers.Factory(DjangoUnitOfWork)
    notifier = providers.Singleton(notifier_from_settings)
    # Campaigns per transaction in the sweeps, and parts of the campaigns swept at once.
    chunk_size = providers.Object(1000)
    shards = providers.Callable(lambda: int(settings.SWEEP_SHARDS))
    runner = providers.Factory(ThreadRunner, workers=shards)

    # -- spend and the periodic work -----------------------------------------------------
    sweep = {"uow": uow.provider, "chunk_size": chunk_size, "shards": shards, "runner": runner}
    record_spend = providers.Factory(RecordSpend, uow=uow.provider, clock=clock)
    enforce_budgets = providers.Factory(EnforceBudgets, **sweep)
    reset_period = providers.Factory(ResetPeriod, **sweep)
    apply_dayparting = providers.Factory(ApplyDayparting, **sweep)
    check_flight = providers.Factory(CheckFlight, **sweep)
    deliver_alerts = providers.Factory(
        DeliverAlerts, uow=uow.provider, notifier=notifier, clock=clock
    )
    reconcile = providers.Factory(Reconcile, uow=uow.provider, chunk_size=chunk_size)
    check_pacing = providers.Factory(
        CheckPacing, uow=uow.provider, clock=clock, chunk_size=chunk_size
    )

    # -- operator actions ------------------------------------------------------------------
    create_brand = providers.Factory(CreateBrand, uow=uow.provider)
    update_brand = providers.Factory(UpdateBrand, uow=uow.provider, clock=clock)
    create_campaign = providers.Factory(CreateCampaign, uow=uow.provider, clock=clock)
    update_campaign = providers.Factory(UpdateCampaign, uow=uow.provider, clock=clock)
    replace_schedule = providers.Factory(ReplaceSchedule, uow=uow.provider, clock=clock)
    launch_campaign = providers.Factory(LaunchCampaign, uow=uow.provider, clock=clock)
    pause_campaign = providers.Factory(PauseCampaign, uow=uow.provider, clock=clock)
    resume_campaign = providers.Factory(ResumeCampaign, uow=uow.provider, clock=clock)


def build_container() -> Container:
    """A fresh container with the production wiring."""
    return Container()


@cache
def get_container() -> Container:
    """The process-wide container, built on first use."""
    return build_container()
