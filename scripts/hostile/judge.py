"""What a hostile request may get back, and the per-category tally.

The rules every response must follow: never a 5xx; every 4xx carries the API's error
document `{"error":{"code":"…","message":"…"}}` as application/json; a request with no
response at all only where the HTTP parser has to give up on the connection. A probe can
add its own expectation (a status class, an exact status, a code it must or must not get).
"""

import json
import re
from dataclasses import dataclass, field

import rawhttp


@dataclass
class Probe:
    """One hostile input and what is acceptable for it."""
    category: str
    label: str
    data: bytes
    may_drop: bool = False          # the parser may close without answering
    may_hang: bool = False          # a partial request the server is right to wait on
    half_close: bool = False
    fragments: list[bytes] | None = None
    gap: float = 0.0
    timeout: float = 5.0
    expect: tuple[int, ...] = ()    # allowed statuses; 4 means any 4xx, 2 any 2xx
    expect_code: str | None = None
    expect_message: str | None = None  # a text the error message must contain
    forbid_codes: tuple[str, ...] = ()
    tolerate: tuple[int, ...] = ()  # 5xx statuses tolerated (503 for text without a model)

    @property
    def bodiless_response(self) -> bool:
        """A response to HEAD has no body; neither has one to CONNECT (NIO frames every
        CONNECT response as a protocol switch, so only the status can say no)."""
        return self.data.startswith(b"HEAD ") or self.data.startswith(b"CONNECT ")


def error_code(reply: rawhttp.Reply) -> str | None:
    """`error.code` of a JSON error document, else None."""
    try:
        document = json.loads(reply.body)
        code = document["error"]["code"]
    except (ValueError, TypeError, KeyError):
        return None
    return code if isinstance(code, str) else None


def error_message(reply: rawhttp.Reply) -> str:
    """`error.message` of a JSON error document, else ""."""
    try:
        message = json.loads(reply.body)["error"]["message"]
    except (ValueError, TypeError, KeyError):
        return ""
    return message if isinstance(message, str) else ""


def error_document_problem(reply: rawhttp.Reply) -> str | None:
    """Why a 4xx is not the error document, or None when it is."""
    ctype = reply.headers.get("content-type", "")
    if not ctype.startswith("application/json"):
        return f"content-type {ctype or 'missing'}"
    try:
        document = json.loads(reply.body)
    except ValueError:
        return "body is not JSON" if reply.body else "empty body"
    error = document.get("error") if isinstance(document, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("code"), str) \
            or not isinstance(error.get("message"), str):
        return "no error.code/error.message strings"
    return None


def status_allowed(status: int, expect: tuple[int, ...]) -> bool:
    """`expect` mixes exact statuses (413) with classes given as one digit (4 = any 4xx)."""
    return any(status == e or (e < 10 and status // 100 == e) for e in expect)


def judge(probe: Probe, reply: rawhttp.Reply) -> list[str]:
    """The rules `reply` breaks, as short reasons (empty: it passed)."""
    if reply.outcome == rawhttp.UNREACHABLE:
        return ["daemon unreachable"]
    if reply.outcome == rawhttp.CLOSED:
        return [] if probe.may_drop else ["closed without a response"]
    if reply.outcome == rawhttp.TIMEOUT:
        return [] if probe.may_hang else [f"no response within {probe.timeout:g}s"]
    if reply.outcome != rawhttp.RESPONSE:
        return [f"{reply.outcome} response"]
    reasons = []
    status = reply.status
    code = error_code(reply)
    if status >= 500 and status not in probe.tolerate:
        reasons.append(f"{status} server error")
    elif not 200 <= status < 600 or 300 <= status < 400:
        reasons.append(f"unexpected status {status}")
    if 400 <= status < 500 and not probe.bodiless_response:
        problem = error_document_problem(reply)
        if problem:
            reasons.append(f"4xx without error document ({problem})")
    if probe.expect and not status_allowed(status, probe.expect):
        reasons.append(f"status {status}, expected {describe(probe.expect)}")
    if probe.expect_code and code != probe.expect_code:
        reasons.append(f"code {code}, expected {probe.expect_code}")
    if probe.expect_message and probe.expect_message not in error_message(reply):
        reasons.append(f"error message does not say {probe.expect_message!r}")
    if code in probe.forbid_codes:
        reasons.append(f"code {code} is wrong here")
    return reasons


def describe(expect: tuple[int, ...]) -> str:
    return "/".join(f"{e}xx" if e < 10 else str(e) for e in expect)


COLUMNS = ("sent", "2xx", "4xx", "5xx", "no-resp", "non-JSON 4xx", "other", "violations")


@dataclass
class Tally:
    """Counts for one category."""
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))

    def add(self, probe: Probe, reply: rawhttp.Reply, reasons: list[str]) -> None:
        self.counts["sent"] += 1
        if reply.outcome in rawhttp.NO_RESPONSE:
            self.counts["no-resp"] += 1
        elif reply.outcome != rawhttp.RESPONSE:
            self.counts["other"] += 1
        elif reply.status // 100 in (2, 4, 5):
            self.counts[f"{reply.status // 100}xx"] += 1
            if reply.status // 100 == 4 and not probe.bodiless_response and error_document_problem(reply):
                self.counts["non-JSON 4xx"] += 1
        else:
            self.counts["other"] += 1
        if reasons:
            self.counts["violations"] += 1


@dataclass
class Violation:
    probe: Probe
    reply: rawhttp.Reply
    reasons: list[str]

    def signature(self) -> tuple:
        """What makes two violations 'the same bug' for the distinct list: the category, the
        endpoint, the reasons, the status and the error code (not the input's exact bytes)."""
        return (self.probe.category, endpoint(self.probe.data), tuple(self.reasons), self.reply.status,
                error_code(self.reply))


def endpoint(data: bytes) -> str:
    """`METHOD /path/template` of a request, with names and ids as placeholders."""
    parts = data.split(b"\r\n", 1)[0].split(b" ")
    if len(parts) < 2:
        return "(no request line)"
    path = parts[1].split(b"?", 1)[0].decode("latin-1")
    path = re.sub(r"/namespaces/[^/]+", "/namespaces/{ns}", path)
    path = re.sub(r"/(memories|jobs)/[^/]+", r"/\1/{id}", path)
    return f"{parts[0].decode('latin-1')} {path[:60]}"


def render_table(tallies: dict[str, Tally]) -> str:
    """The per-category summary as an aligned text table with a total row."""
    total = Tally()
    for tally in tallies.values():
        for column in COLUMNS:
            total.counts[column] += tally.counts[column]
    rows = [("category", *COLUMNS)]
    rows += [(name, *(str(t.counts[c]) for c in COLUMNS)) for name, t in tallies.items()]
    rows.append(("TOTAL", *(str(total.counts[c]) for c in COLUMNS)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    return "\n".join(lines)


def render_violations(violations: list[Violation], examples: int, width: int = 240) -> str:
    """Distinct violations (by ``Violation.signature``) with a count and one reproducible
    example each: the exact request bytes (repr, truncated) and the response."""
    groups: dict[tuple, list[Violation]] = {}
    for violation in violations:
        groups.setdefault(violation.signature(), []).append(violation)
    lines = [f"{len(groups)} distinct violation(s), {len(violations)} in all:"]
    for index, group in enumerate(groups.values(), 1):
        first = group[0]
        lines.append(f"[{index}] {first.probe.category}, {endpoint(first.probe.data)}: {'; '.join(first.reasons)}"
                     f"  (x{len(group)})")
        if index <= examples:
            lines.append(f"    input:    {first.probe.label}")
            lines.append(f"    request:  {first.probe.data[:width]!r}"
                         + (f" …(+{len(first.probe.data) - width} bytes)" if len(first.probe.data) > width else ""))
            lines.append(f"    response: {first.reply.short(width)}")
    return "\n".join(lines)


def render_dropped(dropped: list[Probe], limit: int = 15) -> str:
    """The inputs answered by a close (or, for partial requests, by waiting) where that is
    allowed: not violations, but listed so a change in the parser's behaviour is visible."""
    lines = [f"{len(dropped)} input(s) got no response, as allowed for them:"]
    lines += [f"  {probe.category}: {probe.label}" for probe in dropped[:limit]]
    if len(dropped) > limit:
        lines.append(f"  … and {len(dropped) - limit} more")
    return "\n".join(lines)
