"""Spend over HTTP while the database fails: the service served by gunicorn on a PostgreSQL
cluster of the test's own, clients posting spend batches from several threads, the cluster
restarted (a fast stop, then a start) and, separately, frozen for 20 s (every PostgreSQL
process stopped with SIGSTOP: connections are accepted, nothing answers).

Every answer is 200 or 503 (never a 500, never a hang): a 503 comes within the request limits
(DB_REQUEST_TIMEOUT + 1 s + DB_CONNECT_TIMEOUT, and a margin for a loaded machine), with
Retry-After and the API's JSON error naming the database. A client retries a batch with the
same keys on a 503, and only then. The service answers 200 again once the database is back,
without being restarted, and afterwards every event sent is in the ledger exactly once
(compared key by key with what the clients sent). The admin shows its error page with 503.

The test prints one line of figures (`pytest -s` or `-rA` shows it): events sent, recorded,
lost, doubled, 503s, the slowest answer and how long recovery took."""

from __future__ import annotations

import collections
import http.client
import http.cookiejar
import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from .services import PostgresCluster, free_port
from .test_celery import ROOT, Process

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

REQUEST_LIMIT_S = 2
CONNECT_LIMIT_S = 2
# The longest an answer may take whatever the database does: the request's limit, the
# watchdog's grace second, a new connection's limit, and a margin for a loaded machine. A
# hang lasts as long as the 20 s freeze.
LONGEST_ANSWER_S = REQUEST_LIMIT_S + 1 + CONNECT_LIMIT_S + 5
DOWN_S = 4
FREEZE_S = 20
CLIENTS = 3
CAMPAIGNS = 10
EVENTS_PER_BATCH = 25
RETRY_PAUSE_S = 0.5
# How long the test waits for a condition (the service back, a batch through).
WAIT_S = 120
HTTP_TIMEOUT_S = 90
PASSWORD = "outage-test-password"


@dataclass
class Answer:
    started: float
    finished: float
    status: int  # 0: no answer (the connection failed or timed out)
    retry_after: str | None = None
    content_type: str = ""
    body: bytes = b""
    error: str = ""

    @property
    def seconds(self) -> float:
        return self.finished - self.started


@dataclass
class Served:
    """The service served by gunicorn on the test's private cluster."""

    home: Path
    cluster: PostgresCluster
    database_url: str
    port: int = 0
    token: str = ""
    processes: list[Process] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        import os

        env = dict(os.environ)
        env.update(
            BUDGET_HOME=str(self.home),
            DATABASE_URL=self.database_url,
            CELERY_BROKER_URL="",
            PROMETHEUS_MULTIPROC_DIR=str(self.home / "metrics"),
            DEBUG="1",
            BUDGET_ALLOW_INSECURE_KEY="1",
            DJANGO_SETTINGS_MODULE="entrypoints.settings",
            DJANGO_SUPERUSER_PASSWORD=PASSWORD,
            DB_REQUEST_TIMEOUT=str(REQUEST_LIMIT_S),
            DB_CONNECT_TIMEOUT=str(CONNECT_LIMIT_S),
            LOG_FORMAT="text",
            PYTHONUNBUFFERED="1",
        )
        return env

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=180,
        )
        if done.returncode != 0:
            pytest.fail(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def serve(self) -> None:
        self.port = free_port()
        argv = [sys.executable, "-m", "gunicorn", "entrypoints.wsgi:application"]
        argv += ["-b", f"127.0.0.1:{self.port}", "-w", "2", "--threads", "4"]
        web = Process("gunicorn", argv, self.env(), self.home / "gunicorn.log")
        self.processes.append(web)
        wait_for(lambda: self.request("GET", "/admin/login/").status == 200, "gunicorn serves")

    def request(self, method: str, path: str, body: Any = None) -> Answer:
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT_S)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        try:
            conn.request(method, path, None if body is None else json.dumps(body), headers)
            response = conn.getresponse()
            data = response.read()
            return Answer(
                started,
                time.monotonic(),
                response.status,
                response.getheader("Retry-After"),
                response.getheader("Content-Type", ""),
                data,
            )
        except (OSError, http.client.HTTPException) as error:
            return Answer(started, time.monotonic(), 0, error=repr(error))
        finally:
            conn.close()

    def api(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.request(method, f"/api/v1/{path}", body)
        assert answer.status in (200, 201), (answer.status, answer.body, self.logs())
        return json.loads(answer.body)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.tail()}" for p in self.processes)


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout_s} s")
        time.sleep(0.1)


@pytest.fixture
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    cluster: PostgresCluster = request.getfixturevalue("private_postgres")
    (tmp_path / "metrics").mkdir()
    site = Served(tmp_path, cluster, cluster.create_database("budget"))
    try:
        site.manage("migrate", "--noinput", "-v", "0")
        site.manage("createsuperuser", "--noinput", "--username", "ops", "--email", "o@x.test")
        site.token = site.manage("create_api_token", "ops").strip().splitlines()[-1]
        site.serve()
        yield site
    finally:
        # Before the cluster is destroyed (its fixture ends after this one).
        for process in site.processes:
            process.kill()


def make_campaigns(site: Served, count: int) -> list[int]:
    brand = site.api("POST", "brands", {"name": "Outage Test", "timezone": "UTC"})
    ids = []
    for number in range(count):
        campaign = site.api(
            "POST",
            "campaigns",
            {
                "brand_id": brand["id"],
                "name": f"Campaign {number}",
                "daily_budget": "100000000",
                "monthly_budget": "100000000",
                "start_date": "2020-01-01",
            },
        )
        site.api("POST", f"campaigns/{campaign['id']}/launch")
        ids.append(int(campaign["id"]))
    return ids


class SpendClient(threading.Thread):
    """Posts batches of spend events with new keys one after the other until told to stop;
    a batch answered 503 is sent again, the same keys, after a pause, until it is answered
    otherwise. Keeps every answer and every event it sent."""

    def __init__(self, site: Served, number: int, campaigns: list[int]) -> None:
        super().__init__(name=f"spend-client-{number}", daemon=True)
        self.site = site
        self.number = number
        self.campaigns = campaigns
        self.stopping = threading.Event()
        self.answers: list[Answer] = []
        self.sent: list[dict[str, Any]] = []
        self.batches_done = 0
        self.unexpected: list[str] = []

    def run(self) -> None:
        batch = 0
        while not self.stopping.is_set():
            events = [
                {
                    "campaign_id": self.campaigns[(batch + i) % len(self.campaigns)],
                    "amount": f"{i % 9 + 1}.{(batch + i) % 100:02d}",
                    "key": f"http-{self.number}-{batch:05d}-{i:03d}",
                }
                for i in range(EVENTS_PER_BATCH)
            ]
            self.sent.extend(events)
            self._send(events)
            batch += 1

    def _send(self, events: list[dict[str, Any]]) -> None:
        # Even when told to stop, a batch answered 503 is seen through, within a limit.
        deadline = time.monotonic() + WAIT_S
        while True:
            answer = self.site.request("POST", "/api/v1/spend", {"events": events})
            self.answers.append(answer)
            if answer.status == 503 and time.monotonic() < deadline:
                time.sleep(RETRY_PAUSE_S)
                continue
            if answer.status == 200:
                outcomes = {r["outcome"] for r in json.loads(answer.body)["results"]}
                if not outcomes <= {"recorded", "duplicate"}:
                    self.unexpected.append(f"outcomes {outcomes}: {answer.body[:300]!r}")
                self.batches_done += 1
            else:
                self.unexpected.append(f"{answer.status} {answer.error} {answer.body[:300]!r}")
            return


def first_success_after(clients: list[SpendClient], moment: float) -> Answer | None:
    found = [a for c in clients for a in list(c.answers) if a.status == 200 and a.started >= moment]
    return min(found, key=lambda a: a.finished, default=None)


def any_failure(clients: list[SpendClient], after: float) -> bool:
    return any(a.status != 200 and a.started >= after for c in clients for a in list(c.answers))


def ledger(url: str) -> collections.Counter[tuple[int, str, Decimal]]:
    with psycopg.connect(url, connect_timeout=5) as conn:
        rows = conn.execute("SELECT campaign_id, key, amount FROM budget_spendentry").fetchall()
    return collections.Counter((int(c), str(k), Decimal(a)) for c, k, a in rows)


def assert_outage_answer(answer: Answer) -> None:
    assert answer.retry_after == "5", answer
    assert answer.content_type.startswith("application/json"), answer
    body = json.loads(answer.body)
    assert set(body) == {"detail", "errors"}, body
    assert "database" in body["detail"], body
    assert [e["field"] for e in body["errors"]] == ["database"], body


def test_spend_over_http_through_a_database_restart_and_a_freeze_answers_200_or_503_in_time_and_records_every_event_once(  # noqa: E501
    served: Served,
) -> None:
    cluster = served.cluster
    campaigns = make_campaigns(served, CAMPAIGNS)
    clients = [SpendClient(served, number, campaigns) for number in range(CLIENTS)]
    for client in clients:
        client.start()

    def batches_done() -> int:
        return min(c.batches_done for c in clients)

    wait_for(lambda: batches_done() >= 2, "every client records spend")

    # A restart: a fast stop (every session ended), a few seconds down, a start.
    stopped_at = time.monotonic()
    cluster.stop("fast")
    wait_for(lambda: any_failure(clients, stopped_at), "an answer while the database is down")
    time.sleep(max(0.0, stopped_at + DOWN_S - time.monotonic()))  # the outage's length
    cluster.start()
    started_at = time.monotonic()
    wait_for(lambda: first_success_after(clients, started_at) is not None, "200 after the restart")
    back = first_success_after(clients, started_at)
    assert back is not None
    restart_recovery_s = back.finished - started_at

    # A freeze: the server's processes stopped, 20 s.
    before = batches_done()
    pids = cluster.freeze()
    frozen_at = time.monotonic()
    try:
        time.sleep(FREEZE_S)  # the fault's length
    finally:
        cluster.thaw(pids)
    thawed_at = time.monotonic()
    wait_for(lambda: first_success_after(clients, thawed_at) is not None, "200 after the freeze")
    back = first_success_after(clients, thawed_at)
    assert back is not None
    freeze_recovery_s = back.finished - thawed_at
    wait_for(lambda: batches_done() >= before + 2, "every client records spend again")

    for client in clients:
        client.stopping.set()
    for client in clients:
        client.join(timeout=WAIT_S)
        assert not client.is_alive(), f"{client.name} did not finish its batch"

    answers = [a for c in clients for a in c.answers]
    statuses = collections.Counter(a.status for a in answers)
    slowest = max(answers, key=lambda a: a.seconds)
    frozen = [a for a in answers if frozen_at <= a.started < thawed_at]
    sent = collections.Counter(
        (e["campaign_id"], e["key"], Decimal(e["amount"])) for c in clients for e in c.sent
    )
    recorded = ledger(served.database_url)
    lost = sum(1 for event in sent if not recorded[event])
    doubled = sum(n - 1 for n in recorded.values() if n > 1)
    strangers = sum(1 for event in recorded if event not in sent)
    print(
        f"\nHTTP under a database restart and a {FREEZE_S} s freeze: events sent {len(sent)}, "
        f"recorded {len(recorded)}, lost {lost}, doubled {doubled}; answers {dict(statuses)} "
        f"({sum(1 for a in frozen if a.status == 503)} of the 503s during the freeze); slowest "
        f"answer {slowest.seconds:.2f} s (status {slowest.status}); recovery after the "
        f"restart {restart_recovery_s:.2f} s, after the freeze {freeze_recovery_s:.2f} s"
    )

    unexpected = [u for c in clients for u in c.unexpected]
    assert not unexpected, unexpected[:5]
    assert set(statuses) <= {200, 503}, (statuses, served.logs())
    assert slowest.seconds <= LONGEST_ANSWER_S, slowest
    assert statuses[503] > 0
    for answer in answers:
        if answer.status == 503:
            assert_outage_answer(answer)
    assert any(a.status == 503 and a.finished < thawed_at for a in frozen)
    assert (lost, doubled, strangers) == (0, 0, 0)
    assert sum(sent.values()) == len(sent)  # every key was sent in one batch only


# -- the admin --------------------------------------------------------------------------------


class Browser:
    """An admin session over HTTP: cookies kept, the CSRF token sent with forms."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def open(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        data = None if form is None else urllib.parse.urlencode(form).encode()
        try:
            with self.opener.open(self.base + path, data, timeout=HTTP_TIMEOUT_S) as response:
                return (
                    response.status,
                    response.headers.get("Retry-After", ""),
                    response.read().decode(),
                )
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Retry-After", ""), error.read().decode()

    def log_in(self, username: str, password: str) -> tuple[int, str, str]:
        _, _, page = self.open("/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, page[:500]
        form = {"csrfmiddlewaretoken": token.group(1), "username": username}
        form.update(password=password, next="/admin/")
        return self.open("/admin/login/?next=/admin/", form)


def assert_error_page(status: int, retry_after: str, page: str) -> None:
    assert status == 503, page[:1000]
    assert retry_after == "5"
    assert "Service unavailable" in page
    assert "The database cannot be reached." in page


def test_the_admin_while_the_database_is_stopped_shows_the_error_page_with_503_then_recovers(
    served: Served,
) -> None:
    signed_in = Browser(served.port)
    status, _, page = signed_in.log_in("ops", PASSWORD)
    assert status == 200 and "logout-form" in page, page[:1000]  # signed in

    served.cluster.stop("fast")
    try:
        assert_error_page(*signed_in.open("/admin/"))
        assert_error_page(*signed_in.open("/admin/budget/campaign/"))
        assert_error_page(*Browser(served.port).log_in("ops", PASSWORD))
    finally:
        served.cluster.start()

    wait_for(lambda: signed_in.open("/admin/")[0] == 200, "the admin answers 200 again")
    status, _, page = signed_in.open("/admin/budget/campaign/")
    assert status == 200, page[:1000]
