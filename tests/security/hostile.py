"""Hostile values in every field Redis can hold, and the checks that none of them got out.

1. `PAYLOADS`: script tags, attribute breakouts, `javascript:` URLs, template syntax of
   Django and of JS, unicode tricks (bidi overrides, zero-width, full-width brackets,
   line separators), pre-escaped and percent-encoded markup, NUL bytes, and a
   Prometheus line injection. Each injected element carries an id starting with `pwn`
   and each script calls alert('pwn'), so an escape failure shows up in the HTML and as
   a dialog in a browser.
2. `seed_everywhere` puts them in queue names, job class, wrapped class, jid, args
   (values and keys), error class, message and backtrace (plain and Sidekiq's compressed
   form), tags, timestamps, process hostname, identity, tag, labels, queues, version,
   running jobs' thread ids and queues, raw non-JSON and non-UTF-8 members, counters,
   and recurring entries (names, descriptions, classes, queues, args, time zones, and
   the state Redis keeps for them).
3. `html_problems` parses a page and names every injected element, event handler,
   inline script, script URL or evaluated template; `metrics_problems` checks the
   Prometheus text line by line; `response_problems` applies the right one to a
   response (and wants the security headers); `snapshot` reads a whole Redis database.
"""

from __future__ import annotations

import base64
import json
import re
import time
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import redis

from jobs.backtrace import HEADING
from jobs.conf import get_settings
from jobs.dashboard.security import HEADERS
from jobs.metrics import layout, lifetime
from jobs.recurring import store
from jobs.redis import keys
from tests.dashboard.seed import add, failed, job, process, push

PAYLOADS: list[str] = [
    "<script>alert('pwn')</script>",
    '"><img src=x onerror=alert("pwn") id=pwn-img>',
    "'><svg onload=alert('pwn') id=pwn-svg>",
    "javascript:alert('pwn')",
    " \tjava\nscript:alert('pwn')",
    "<a href=\"javascript:alert('pwn')\" id=pwn-link>click</a>",
    "</textarea></pre></code></title></style><script id=pwn-close>alert('pwn')</script>",
    "<iframe srcdoc=\"&lt;script&gt;alert('pwn')&lt;/script&gt;\" id=pwn-frame></iframe>",
    '<base href="//evil.example/" id=pwn-base>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'pwn\')" id=pwn-meta>',
    '<form action="//evil.example/" id=pwn-form>'
    "<button formaction=\"javascript:alert('pwn')\">go</button></form>",
    "<div style=\"background:url(javascript:alert('pwn'))\" id=pwn-style>x</div>",
    "{{ 7|add:918273 }}{% now 'Y' %}${7*131071}#{7*131071}<%= 7*131071 %>",
    "\u202e<scr\u200bipt>alert('pwn')</scr\u200bipt>\u202c",
    "\uff1cscript\uff1ealert('pwn')\uff1c/script\uff1e",
    "&lt;script&gt;alert('pwn')&lt;/script&gt; &amp; &#60;b&#62;",
    "%3Cscript%3Ealert('pwn')%3C%2Fscript%3E",
    "\u2028\u2029</script><script>alert('pwn')</script>",
    "<!-- <script>alert('pwn')</script> -->",
    "\x00<script>alert('pwn')</script>",
    '"} 999\njobs_pwned{x="1"} 1\r\n# HELP',
]
# What evaluated template syntax of the payloads would print (7+918273, 7*131071).
EVALUATED = ("918280", "917497")
# A payload shown raw in HTML is a failure as soon as it holds one of these.
HTML_SPECIAL = set("<>\"'&")
# Attributes a browser follows as a URL.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc"}
BANNED_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base"}
SCRIPT_URL = re.compile(r"^(javascript|vbscript|livescript):|^data:(?!image/)", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x20\x7f]+")
RECORD_JOB = "tests.testapp.jobs.RecordJob"


def short_name(payload: str) -> str:
    """A printable label of a payload, for test ids and messages."""
    return repr(payload[:28])


@dataclass
class Seeded:
    """What `seed_everywhere` put where, so tests can name the pages that show it."""

    queues: list[str] = field(default_factory=list)
    identities: list[str] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)  # jids with a hostile history


def seed_history(r: redis.Redis, evil: str, index: int, payload: dict[str, Any]) -> str:
    """A history (jobs/history.py) under a plain jid, hostile everywhere else; its jid."""
    jid = f"hostile{index}"
    lines = [HEADING, f'  File "{evil}", line {index}, in {evil}', f"    {evil}", evil]
    final = {**payload, "jid": jid, "error_backtrace": backtrace_field(lines, index % 2 == 0)}
    run = {"n": evil, "state": "retry", "worker": evil, "start_ms": evil, "error": evil}
    r.rpush(keys.history_runs(jid), json.dumps({**run, "score": evil}), evil.encode())
    head = json.dumps({"state": "succeeded", "worker": evil, "took_us": 1.5}).encode()
    start = int(time.time()) // 60 * 60
    r.hset(keys.finished(start), jid, head + b"\n" + json.dumps(final).encode())
    r.zadd(keys.FINISHED, {str(start): start})
    r.lpush(keys.HISTORY, f"{start}:{jid}")
    return jid


def backtrace_field(lines: list[str], compressed: bool) -> Any:
    """A backtrace as our worker stores it (a list) or as Sidekiq does (base64 zlib JSON)."""
    if not compressed:
        return lines
    return base64.b64encode(zlib.compress(json.dumps(lines).encode())).decode()


def hostile_job(evil: str, index: int) -> dict[str, Any]:
    """A failed job with `evil` in every string field Sidekiq's format has."""
    return failed(
        **{
            "class": evil,
            "wrapped": evil + "\u200d",  # differs from class: both are shown
            "jid": evil,
            "queue": evil,
            "args": [evil, {"note": evil, evil: [evil], "password": evil}, [[evil]], index],
            "error_class": evil,
            "error_message": evil,
            "error_backtrace": backtrace_field(
                [evil, f"{evil}:{index}:in perform"], index % 2 == 1
            ),
            "tags": [evil, "ok"],
            "retry": evil,
            "retry_count": evil,
            "created_at": evil,
            "enqueued_at": evil if index % 2 else time.time(),
            "failed_at": evil,
            "retried_at": evil,
        }
    )


def seed_everywhere(r: redis.Redis, payloads: list[str] = PAYLOADS) -> Seeded:
    """Every payload in every field of every kind of key the dashboard reads."""
    seeded = Seeded()
    now = time.time()
    combined = " | ".join(payloads)
    for index, evil in enumerate([*payloads, combined]):
        payload = hostile_job(evil, index)
        push(r, evil, payload)
        seeded.queues.append(evil)
        for offset, key in enumerate(("schedule", "retry", "dead")):
            add(r, key, payload, now + 60 * offset + index)
        identity = f"{evil}:{index}:{index:012x}"
        process(
            r,
            identity,
            busy=1,
            running=[payload],
            hostname=evil,
            tag=evil,
            labels=[evil, "ok"],
            queues=[evil, "default"],
            version=evil,
        )
        r.hset(f"{identity}:work", evil, json.dumps({"queue": evil, "payload": payload,
                                                    "run_at": evil}))  # fmt: skip
        seeded.identities.append(identity)
        seeded.history.append(seed_history(r, evil, index, payload))
        add(r, "dead", evil, now + 1000 + index)  # not even JSON
        r.zadd(
            "retry", {b"\xff\xfe" + evil.encode() + b"\xc0\xaf": now + 1000 + index}
        )  # not UTF-8
    r.zadd("schedule", {json.dumps(job(args=payloads, queue="default")): now})
    seed_metrics(r, [*payloads, combined], now)
    r.set("stat:processed", payloads[0])
    r.set("stat:failed", combined)
    return seeded


def seed_metrics(r: redis.Redis, names: list[str], now: float) -> None:
    """Every payload as a class name of the metrics hashes, with hostile counts beside."""
    for key in (layout.minute_key(now), layout.ten_minute_key(now), layout.TOTALS):
        for evil in names:
            r.hset(key, mapping={f"{evil}|p": 3, f"{evil}|f": evil, f"{evil}|ms": "1e99"})
    for key in (layout.rollup_key(now), layout.TOTALS):
        r.hset(key, mapping={f"{evil}|2": 1 for evil in names})
        r.hset(key, mapping={f"{evil}|{evil}": 1 for evil in names})


def hostile_schedule(payloads: list[str] = PAYLOADS) -> dict[str, dict[str, Any]]:
    """Recurring entries named after the payloads: every other one valid, the rest invalid."""
    schedule: dict[str, dict[str, Any]] = {}
    for index, evil in enumerate(payloads):
        if index % 2 == 0:  # valid: a queue name has no spaces, RecordJob takes one argument
            schedule[evil] = {"every": "1m", "class": RECORD_JOB, "description": evil,
                              "queue": "".join(evil.split()), "args": [{evil: [evil]}]}  # fmt: skip
        else:
            schedule[evil] = {"cron": evil, "class": evil, "tz": evil, "queue": evil,
                              "args": [evil], "description": evil, evil: evil}  # fmt: skip
    return schedule


def seed_schedule_state(r: redis.Redis, schedule: dict[str, dict[str, Any]]) -> list[str]:
    """The state workers would leave for those entries, itself hostile."""
    names = list(schedule)
    for index, name in enumerate(names):
        evil = names[(index + 1) % len(names)]
        r.hset(
            store.state_key(name),
            mapping={
                "jid": evil,
                "status": ("retrying", "dead", "enqueued", evil)[index % 4],
                "status_at": evil if index % 3 else time.time(),
                "enqueued_at": time.time() - 60,
                "manual": "1",
                "enabled": ("0", "1", evil)[index % 3],
                "tick": evil,
            },
        )
    return names


class _Inspector(HTMLParser):
    """Collects what must never be in a dashboard page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in BANNED_TAGS:
            self.problems.append(f"<{tag}> element")
        if tag == "script" and not values.get("src"):
            self.problems.append("inline <script>")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append("<meta http-equiv>")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler")
            if name in {"id", "name", "class"} and value.startswith("pwn"):
                self.problems.append(f"injected <{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and SCRIPT_URL.match(CONTROL.sub("", value)):
                self.problems.append(f"<{tag} {name}={value[:40]!r}> script URL")
            if name == "style" and "javascript:" in CONTROL.sub("", value).lower():
                self.problems.append(f"<{tag} style=...> script URL")
            if name in URL_ATTRIBUTES and value.startswith("//evil"):
                self.problems.append(f"<{tag} {name}={value!r}> foreign URL")


def html_problems(body: str, payloads: list[str] = PAYLOADS) -> list[str]:
    """What in this page shows an escaping failure (empty when none)."""
    inspector = _Inspector()
    inspector.feed(body)
    inspector.close()
    problems = inspector.problems
    problems += [
        f"raw payload {short_name(p)}" for p in payloads if HTML_SPECIAL & set(p) and p in body
    ]
    problems += [f"evaluated template ({n})" for n in EVALUATED if n in body]
    return problems


def response_problems(response: Any, r: redis.Redis) -> list[str]:
    """What is wrong with one response to a hostile page or action."""
    problems = [name for name, value in HEADERS.items() if response.get(name) != value]
    body = response.content.decode("utf-8", "replace")
    kind = response["Content-Type"].split(";")[0]
    if kind == "text/html":
        return problems + html_problems(body)
    if kind == "application/json":
        json.loads(body)
        return problems + [f"raw {short_name(p)}" for p in PAYLOADS if "<" in p and p in body]
    if kind == "text/plain" and body.startswith("# HELP"):
        names = {raw.decode("utf-8", "replace") for raw in r.smembers("queues")}  # type: ignore[union-attr]
        queues = len(names | set(get_settings().queue_names()))
        return problems + metrics_problems(body, queues, len(lifetime(r).classes))
    return [*problems, f"unexpected content type {kind}"]


LABEL = r'[a-z_]+="(?:[^"\\\n]|\\["\\n])*"'
SAMPLE_LINE = re.compile(
    rf"^[a-z_]+(\{{{LABEL}(?:,{LABEL})*\}})? -?(?:[0-9]+(?:\.[0-9]+)?|NaN|[+-]Inf)$"
)


def metrics_problems(text: str, queues: int, classes: int = 0) -> list[str]:
    """Lines of a Prometheus exposition that break its grammar, or a wrong sample count."""
    lines = text.rstrip("\n").split("\n")
    problems = [
        f"line {line[:60]!r}"
        for line in lines
        if not (line.startswith(("# HELP ", "# TYPE ")) or SAMPLE_LINE.match(line))
    ]
    samples = [line for line in lines if not line.startswith("#")]
    if len(samples) != 5 + 3 + 2 * queues + 30 * classes:  # 30: runs, failures, histogram
        problems.append(f"{len(samples)} samples for {queues} queues and {classes} classes")
    return problems


def snapshot(r: redis.Redis) -> dict[bytes, Any]:
    """Every key of the database with its type and whole value (no TTLs)."""
    state: dict[bytes, Any] = {}
    for key in sorted(r.scan_iter(count=1000)):
        kind = r.type(key)
        value: Any
        if kind == b"string":
            value = r.get(key)
        elif kind == b"list":
            value = r.lrange(key, 0, -1)
        elif kind == b"set":
            value = sorted(r.smembers(key))  # type: ignore[arg-type]
        elif kind == b"zset":
            value = r.zrange(key, 0, -1, withscores=True)
        elif kind == b"hash":
            value = sorted(r.hgetall(key).items())  # type: ignore[union-attr]
        else:
            value = kind
        state[key] = (kind, value)
    return state
