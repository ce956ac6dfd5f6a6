"""Sends probes, judges them, tallies them per category, and watches the daemon.

The daemon is checked after every batch of probes (process alive, `GET /v1/health` 200), so
a crash or a wedged event loop is pinned to the few requests just before it. Sending stops
when the request budget or the time limit is spent, or when the daemon is gone (nothing
after that would mean anything).
"""

import os
import threading
import time

import rawhttp
import wire
from judge import Probe, Tally, Violation, judge


class StopFuzzing(Exception):
    """The budget or the time is spent, or the daemon died: no more probes."""


class DaemonDied(StopFuzzing):
    pass


class Runner:
    """The one place requests are sent from: the budget, the verdicts and the liveness
    checks. Thread-safe, for the race category."""

    def __init__(self, socket_path: str, pid: int | None, budget: int, seconds: float, batch: int = 25):
        self.socket_path = socket_path
        self.pid = pid
        self.budget = budget
        self.reserved = 0
        self.reserved_seconds = 0.0
        self.started = time.monotonic()
        self.deadline = self.started + seconds
        self.batch = batch
        self.tallies: dict[str, Tally] = {}
        self.violations: list[Violation] = []
        self.dropped: list[Probe] = []  # closed without a response where that is allowed
        self.checks = 0
        self.sent = 0
        self.dead = False
        self.last_probe: Probe | None = None
        self._lock = threading.Lock()
        self._since_check = 0

    # -- budget ---------------------------------------------------------------------------

    def reserve(self, count: int, seconds: float) -> None:
        """Keeps `count` requests and `seconds` of the budget for a category that must still
        run (the last one); ``release`` hands them back when it starts."""
        self.reserved = count
        self.reserved_seconds = seconds

    def release(self) -> None:
        self.reserved = 0
        self.reserved_seconds = 0.0

    def remaining(self) -> int:
        return self.budget - self.reserved - self.sent

    def time_left(self) -> float:
        return self.deadline - self.reserved_seconds - time.monotonic()

    # -- sending --------------------------------------------------------------------------

    def send(self, probe: Probe) -> rawhttp.Reply:
        """Sends one probe and records its verdict; raises ``StopFuzzing`` when no more
        probes may be sent."""
        self.claim(probe)
        reply = rawhttp.exchange(self.socket_path, probe.data, timeout=probe.timeout, half_close=probe.half_close,
                                 fragments=probe.fragments, gap=probe.gap, head_request=probe.bodiless_response)
        self.record(probe, reply)
        # A request left unanswered may be the one that killed the daemon: check at once.
        if reply.outcome != rawhttp.RESPONSE or self._batch_done():
            self.checkpoint(probe.category)
        return reply

    def claim(self, probe: Probe) -> None:
        """Takes one request of the budget for `probe`, or raises ``StopFuzzing``."""
        with self._lock:
            if self.dead:
                raise DaemonDied
            if self.remaining() <= 0 or self.time_left() <= 0:
                raise StopFuzzing
            self.sent += 1
            self.last_probe = probe

    def record(self, probe: Probe, reply: rawhttp.Reply, reasons: list[str] | None = None) -> list[str]:
        """Tallies a reply obtained outside ``send`` (slow connections) or by it."""
        reasons = judge(probe, reply) if reasons is None else reasons
        with self._lock:
            self.tallies.setdefault(probe.category, Tally()).add(probe, reply, reasons)
            self.checks += 1
            if reasons:
                self.violations.append(Violation(probe, reply, reasons))
            elif reply.outcome in rawhttp.NO_RESPONSE:
                self.dropped.append(probe)
        return reasons

    def _batch_done(self) -> bool:
        with self._lock:
            self._since_check += 1
            if self._since_check < self.batch:
                return False
            self._since_check = 0
            return True

    # -- liveness -------------------------------------------------------------------------

    def process_alive(self) -> bool:
        if self.pid is None:
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        # A zombie (exited, not yet reaped by the driver) is dead too.
        try:
            with open(f"/proc/{self.pid}/stat") as stat:
                return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return True

    def checkpoint(self, category: str) -> None:
        """Counts one liveness check (process alive and health 200 within 10 s), tallied
        under "liveness"; raises ``DaemonDied`` if the process is gone, naming the last
        probe sent."""
        health = Probe("liveness", f"GET /v1/health after a batch of {category}",
                       wire.request("GET", "/v1/health"), expect=(200,), timeout=10.0)
        alive = self.process_alive()
        reply = rawhttp.exchange(self.socket_path, health.data, timeout=health.timeout) if alive \
            else rawhttp.Reply(rawhttp.UNREACHABLE)
        reasons = judge(health, reply)
        if not alive or reply.outcome == rawhttp.UNREACHABLE:
            last = self.last_probe
            health.label = f"daemon died during {category}; last request sent: " + (last.label if last else "?")
            health.data = last.data if last else b""
            reasons = ["daemon process is gone" if not alive else "daemon unreachable"]
        self.record(health, reply, reasons)
        if not alive or reply.outcome == rawhttp.UNREACHABLE:
            with self._lock:
                self.dead = True
            raise DaemonDied
