"""Production settings: `manage.py check --deploy` finds nothing to warn about, and no
secret is needed in the repository."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    dropped = {"DEBUG", "SECRET_KEY", "BUDGET_ALLOW_INSECURE_KEY"}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    done = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="budget.example.com",
        BUDGET_HOME=str(tmp_path),
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    done = _manage("check", BUDGET_HOME=str(tmp_path))
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr


def test_a_bad_sweep_shard_count_is_refused_by_name(tmp_path: Path) -> None:
    for bad in ("0", "17", "two", "-1"):
        done = _manage("check", DEBUG="1", SWEEP_SHARDS=bad, BUDGET_HOME=str(tmp_path))
        assert done.returncode != 0
        assert "SWEEP_SHARDS must be a whole number from 1 to 16" in done.stderr


def test_a_bad_gc_threshold_is_refused_by_name(tmp_path: Path) -> None:
    for bad in ("-1", "lots", "1e4", "10000001"):
        done = _manage("check", DEBUG="1", GC_THRESHOLD=bad, BUDGET_HOME=str(tmp_path))
        assert done.returncode != 0
        assert "GC_THRESHOLD must be a whole number from 0 to 10000000" in done.stderr


def _gc_state(threshold: str | None, tmp_path: Path) -> str:
    code = (
        "import gc, django; django.setup(); print(gc.get_threshold()[0], gc.get_freeze_count() > 0)"
    )
    env = {k: v for k, v in os.environ.items() if k != "GC_THRESHOLD"}
    env.update(DEBUG="1", BUDGET_HOME=str(tmp_path), DJANGO_SETTINGS_MODULE="entrypoints.settings")
    if threshold is not None:
        env["GC_THRESHOLD"] = threshold
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_setup_tunes_the_garbage_collector_unless_told_not_to(tmp_path: Path) -> None:
    assert _gc_state(None, tmp_path) == "20000 True"
    assert _gc_state("50000", tmp_path) == "50000 True"
    assert _gc_state("0", tmp_path) == "700 False"


# Read by a fresh import of the settings module for each environment, in one process.
_SETTINGS_UNDER = """
import importlib, json, os, sys
results = []
for env in json.loads(sys.argv[1]):
    os.environ.update(env)
    sys.modules.pop("entrypoints.settings", None)
    try:
        s = importlib.import_module("entrypoints.settings")
        options = s.DATABASES["default"].get("OPTIONS", {})
        results.append([s.DB_CONNECT_TIMEOUT, s.DB_REQUEST_TIMEOUT, s.BEAT_LEASE_SECONDS,
                        options.get("connect_timeout")])
    except RuntimeError as error:
        results.append(str(error))
    for name in env:
        del os.environ[name]
print(json.dumps(results))
"""


def _settings_under(tmp_path: Path, *environments: dict[str, str]) -> list[Any]:
    names = {"DB_CONNECT_TIMEOUT", "DB_REQUEST_TIMEOUT", "BEAT_LEASE_SECONDS", "DATABASE_URL"}
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.update(DEBUG="1", BUDGET_HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", _SETTINGS_UNDER, json.dumps(environments)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    results: list[Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


def test_bad_database_timeouts_and_beat_lease_lengths_are_refused_by_name(tmp_path: Path) -> None:
    refusals = {
        "DB_CONNECT_TIMEOUT": (
            ("1", "0", "2.5", "soon", "601"),
            "DB_CONNECT_TIMEOUT must be a whole number of seconds from 2 up to 600",
        ),
        "DB_REQUEST_TIMEOUT": (
            ("0", "-1", "nan", "inf", "five", "600.5"),
            "DB_REQUEST_TIMEOUT must be a number of seconds above 0 up to 600",
        ),
        "BEAT_LEASE_SECONDS": (
            ("2", "3601", "1.5", "half a minute"),
            "BEAT_LEASE_SECONDS must be a whole number of seconds from 3 up to 3600",
        ),
    }
    for name, (values, message) in refusals.items():
        results = _settings_under(tmp_path, *({name: value} for value in values))
        for value, result in zip(values, results, strict=True):
            assert result == f"{message}, not {value!r}", (name, value, result)


def test_database_timeouts_default_to_a_few_seconds_and_connect_timeout_reaches_postgresql(
    tmp_path: Path,
) -> None:
    postgres = "postgres://budget@127.0.0.1:5432/budget"
    sqlite = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert _settings_under(
        tmp_path,
        {"DATABASE_URL": postgres},
        {"DATABASE_URL": postgres, "DB_CONNECT_TIMEOUT": "7", "DB_REQUEST_TIMEOUT": "2.5"},
        {"DATABASE_URL": sqlite, "BEAT_LEASE_SECONDS": "45"},
    ) == [[3, 5.0, 30, 3], [7, 2.5, 30, 7], [3, 5.0, 45, None]]
