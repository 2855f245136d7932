"""One loop that keeps a database in sync: post the inbox, deliver the outbox, poll.

``ledgerbridge worker`` runs it; any number may run against PostgreSQL (inbox and
outbox rows are claimed with SKIP LOCKED, polls take an advisory lock per stream).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine

from ledgerbridge.connectors.base import Connector
from ledgerbridge.sync.outbox import deliver_due
from ledgerbridge.sync.scheduler import poll_due
from ledgerbridge.sync.worker import Worker

__all__ = ["SyncRunner"]


@dataclass
class SyncRunner:
    """Runs the worker, the outbox deliverer and the poll scheduler in turn."""

    engine: Engine
    worker: Worker
    poll_every: float = 5.0
    _connectors: dict[int, Connector] = field(default_factory=dict)
    _last_poll: float = 0.0

    @classmethod
    def on(cls, engine: Engine, *, batch: int = 20) -> SyncRunner:
        """A runner with a default worker on ``engine``."""
        return cls(engine, Worker(engine, batch=batch))

    def run_once(self) -> int:
        """One round: due inbox events, due write-backs, due polls; returns work done."""
        done = self.worker.run_once()
        done += deliver_due(self.engine, connectors=self._connectors)
        if time.monotonic() - self._last_poll >= self.poll_every:
            self._last_poll = time.monotonic()
            done += sum(r.stored for r in poll_due(self.engine))
        return done

    def run_until_idle(self) -> int:
        """Run rounds until one finds nothing to do; returns the work done."""
        total = 0
        while done := self.run_once():
            total += done
        return total

    def run(self, stop: threading.Event, *, idle_sleep: float = 0.05) -> None:
        """Run rounds until ``stop`` is set, sleeping briefly when a round found nothing.

        An idle round only reads (on SQLite it takes no write lock), so looking
        twenty times a second costs little and keeps a webhook's wait for the worker
        short (``ledgerbridge serve`` runs with this default).
        """
        while not stop.is_set():
            if not self.run_once():
                stop.wait(idle_sleep)
