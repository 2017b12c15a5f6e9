"""Production settings: `manage.py check --deploy` finds nothing to warn about, and no
secret is needed in the repository."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

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
