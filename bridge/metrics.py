"""Prometheus metrics in the text exposition format, without a client library.

Pushed as things happen: HTTP requests by route, method and status, with a latency histogram;
AMI actions by action and outcome. Read at scrape time: AMI link states, AMI events received
(``rate()`` gives events per second), events published to the stream, WebSocket clients, the
directory version, live channels.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
Labels = tuple[tuple[str, str], ...]
# the methods a request is counted under by name: HTTP's own (RFC 9110 and PATCH), and
# "unknown" for a request that could not be parsed; any other is "other"
KNOWN_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "unknown")
)
MAX_REMEMBERED_LABELS = 4096  # routes x known methods x statuses is far fewer


class Counter:
    def __init__(self, name: str, help_text: str) -> None:
        self.name, self.help = name, help_text
        self.values: dict[Labels, float] = defaultdict(float)

    def inc(self, labels: Labels, amount: float = 1.0) -> None:
        self.values[labels] += amount

    def render(self) -> Iterable[str]:
        return counter(self.name, self.help, sorted(self.values.items()))


class Histogram:
    def __init__(self, name: str, help_text: str, buckets: tuple[float, ...]) -> None:
        self.name, self.help, self.buckets = name, help_text, buckets
        self.counts: dict[Labels, list[int]] = {}
        self.sums: dict[Labels, float] = defaultdict(float)

    def observe(self, labels: Labels, value: float) -> None:
        counts = self.counts.get(labels)
        if counts is None:
            counts = self.counts[labels] = [0] * (len(self.buckets) + 1)
        counts[bisect.bisect_left(self.buckets, value)] += 1
        self.sums[labels] += value

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        for labels, counts in sorted(self.counts.items()):
            running = 0
            for bound, count in zip((*self.buckets, float("inf")), counts, strict=True):
                running += count
                le = "+Inf" if bound == float("inf") else _number(bound)
                yield f"{self.name}_bucket{_labels((*labels, ('le', le)))} {running}"
            yield f"{self.name}_sum{_labels(labels)} {_number(self.sums[labels])}"
            yield f"{self.name}_count{_labels(labels)} {running}"


class Metrics:
    def __init__(self) -> None:
        self.requests = Counter("bridge_http_requests_total", "HTTP requests by route and status")
        self.latency = Histogram(
            "bridge_http_request_duration_seconds", "HTTP request latency", LATENCY_BUCKETS
        )
        self.ami_actions = Counter("bridge_ami_actions_total", "AMI actions by outcome")
        self.ami_latency = Histogram(
            "bridge_ami_action_duration_seconds", "AMI action latency", LATENCY_BUCKETS
        )
        self.collectors: list[Callable[[], Iterable[str]]] = []
        self._request_labels: dict[tuple[str, str, int], tuple[Labels, Labels]] = {}

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        labels = self._request_labels.get((route, method, status))
        if labels is None:
            labels = self._labels_of(route, method, status)
        self.requests.values[labels[0]] += 1.0
        self.latency.observe(labels[1], seconds)

    def _labels_of(self, route: str, method: str, status: int) -> tuple[Labels, Labels]:
        """The labels of a request's counter and histogram, made once per route, method and
        status (on the hot path). A method is the client's token: those the bridge serves
        nowhere are ``other``, so that no client can add a series per method."""
        shown = method if method in KNOWN_METHODS else "other"
        labels = (
            (("route", route), ("method", shown), ("status", str(status))),
            (("route", route),),
        )
        if len(self._request_labels) < MAX_REMEMBERED_LABELS:
            self._request_labels[(route, method, status)] = labels
        return labels

    def ami_action(self, core_server: str, action: str, outcome: str, seconds: float) -> None:
        self.ami_actions.inc(
            (("core_server", core_server), ("action", action), ("outcome", outcome))
        )
        self.ami_latency.observe((("action", action),), seconds)

    def render(self) -> str:
        lines: list[str] = []
        for metric in (self.requests, self.latency, self.ami_actions, self.ami_latency):
            lines.extend(metric.render())
        for collect in self.collectors:
            lines.extend(collect())
        return "\n".join(lines) + "\n"


def gauge(name: str, help_text: str, values: Iterable[tuple[Labels, float]]) -> Iterable[str]:
    return _samples("gauge", name, help_text, values)


def counter(name: str, help_text: str, values: Iterable[tuple[Labels, float]]) -> Iterable[str]:
    return _samples("counter", name, help_text, values)


def _samples(
    kind: str, name: str, help_text: str, values: Iterable[tuple[Labels, float]]
) -> Iterable[str]:
    yield f"# HELP {name} {help_text}"
    yield f"# TYPE {name} {kind}"
    for labels, value in values:
        yield f"{name}{_labels(labels)} {_number(value)}"


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
