"""Does the broker keep queued tasks across its own restart? Checked by every worker as it
starts (entrypoints/celery_app.py), because a Redis that keeps nothing on disk loses every
queued spend batch when it restarts, although whoever queued them was told they were queued.

Read from the server itself: INFO persistence says whether the append-only file is on, and
CONFIG GET save whether RDB snapshots are scheduled. A managed Redis may refuse CONFIG; then
only what INFO says is known, and the warning says so."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import redis

log = logging.getLogger(__name__)

TIMEOUT_S = 5
README = "see 'Brokers in production' in the README"


def redacted(url: str) -> str:
    """The URL without user name or password."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def redis_persistence_warning(url: str) -> str | None:
    """Why the Redis at `url` would lose queued tasks when it restarts or crashes, or None
    when it writes an append-only file. Raises redis.RedisError when it cannot be asked."""
    client = redis.Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
    try:
        if int(client.info("persistence").get("aof_enabled", 0)):
            return None
        try:
            save = str(client.config_get("save").get("save", "")).strip()
        except redis.ResponseError:  # a managed Redis that forbids CONFIG
            return (
                f"The Redis broker at {redacted(url)} does not write an append-only file "
                "(appendonly no), and its snapshot schedule cannot be read (CONFIG is "
                "refused): unless the provider keeps it on disk, a restart of Redis loses "
                f"every queued task, spend batches included ({README})"
            )
    finally:
        client.close()
    if not save:
        return (
            f"The Redis broker at {redacted(url)} keeps nothing on disk (appendonly no, no "
            "save points): a restart of Redis loses every queued task, spend batches "
            f"included. Run it with appendonly yes and appendfsync always or everysec "
            f"({README})"
        )
    return (
        f"The Redis broker at {redacted(url)} keeps only snapshots (save {save!r}, "
        "appendonly no): a crash of Redis loses the tasks queued since the last snapshot, "
        f"spend batches included. Turn on appendonly ({README})"
    )


def warn_if_volatile(broker_url: str) -> None:
    """Log a WARNING for each Redis broker URL (several are separated by ';') that would
    lose queued tasks on a restart, an INFO line for one that would not; other brokers are
    not checked here."""
    for url in (u.strip() for u in broker_url.split(";")):
        if not url.startswith(("redis://", "rediss://")):
            continue
        try:
            warning = redis_persistence_warning(url)
        except redis.RedisError as error:
            log.warning(
                "Could not ask the Redis broker at %s whether it keeps queued tasks on disk: %s",
                redacted(url),
                error,
            )
            continue
        if warning:
            log.warning(warning)
        else:
            log.info(
                "The Redis broker at %s writes an append-only file: queued tasks outlive "
                "its restart",
                redacted(url),
            )
