"""A bounded schemathesis run against the live app, as the admin account, with path
parameters that are generated or real, so cases reach past the path to every answer."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bridge.api.event_stream import PATH as WS
from bridge.api.openapi import PATH, document
from bridge.api.openapi.grammar import Template, templates
from tests.api.openapi_answers import happy_values
from tests.world import PASSWORDS, World

FUZZ_EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 8}
FUZZ_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def fuzzed_paths() -> set[str]:
    """Each endpoint through a few of its path forms: together they use every keyword, both
    forms of every object and every depth. (All 215 forms are called for real above; fuzzing
    each costs schemathesis a third of a second per operation before the first request.)"""
    chosen = {WS, "/healthz", PATH}
    by_endpoint: dict[tuple[object, str], list[Template]] = {}
    for template in templates():
        by_endpoint.setdefault(template.endpoint, []).append(template)

    def features(template: Template) -> set[object]:
        return {*template.segments, len(template.parameters)}

    for forms in by_endpoint.values():
        wanted = set().union(*map(features, forms))
        while wanted:
            best = max(forms, key=lambda t: len(features(t) & wanted))
            chosen.add(best.path)
            wanted -= features(best)
    return chosen


def known_ids(world: World) -> dict[str, list[str]]:
    """Real values of each path parameter, the first naming the happy path. The "branch" core
    server is left out: its AMI port is closed, and its actions' documented 503 would count as
    a server error (503 is checked against the document above)."""
    happy = happy_values(world)
    others = {
        "coreServerId": [world.old_cs],
        "coreServerSlug": ["old"],
        "userId": [world.users[n] for n in ("bob", "carol", "zed")],
        "username": ["bob", "carol", "frank"],
        "extensionId": [world.ext[n] for n in ("101", "102", "105", "108", "zed")],
        "extensionNumber": ["101", "102", "105", "108", "200"],
        "queueId": [world.queues["closed"]],
        "queueIdentifier": ["closed"],
        "agentId": [world.agents[n] for n in ("carol", "none", "bob_closed", "gina")],
        "segmentId": ["getByName", "%2F"],
    }
    return {name: [happy[name], *more] for name, more in others.items()}


@dataclass
class FuzzReport:
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def fuzz(base_url: str, ids: dict[str, list[str]]) -> FuzzReport:
    """Every fuzzed operation, in both generation modes, as the admin account; runs in a
    thread of its own (schemathesis calls are blocking, the app runs on the test's loop)."""
    report = FuzzReport()
    with requests.Session() as session:
        session.auth = ("admin", PASSWORDS["admin"])
        for operation in fuzzed_operations():
            for mode, examples in FUZZ_EXAMPLES.items():
                if mode is GenerationMode.NEGATIVE and not has_inputs(operation):
                    continue  # nothing to break (/healthz, /openapi.json)
                try:
                    fuzz_one(operation, mode, examples, base_url, session, ids, report)
                except (Exception, FailureGroup) as error:  # all failing operations, not one
                    report.failures.append(f"{operation.label} ({mode}): {error}")
    return report


def fuzzed_operations() -> list[APIOperation[Any, Any, Any, Any]]:
    schema = schemathesis.openapi.from_dict(document())
    paths = fuzzed_paths()
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the document loads whole
        if result.ok().path in paths:
            operations.append(result.ok())
    return operations


def fuzz_one(
    operation: APIOperation[Any, Any, Any, Any],
    mode: GenerationMode,
    examples: int,
    base_url: str,
    session: requests.Session,
    ids: dict[str, list[str]],
    report: FuzzReport,
) -> None:
    """``examples`` cases of one operation; each of its path parameters is the generated
    value, or one of ``ids`` (the happy ones, or a mix), so cases reach past the path."""

    @settings(
        max_examples=examples,
        derandomize=True,  # the same cases on every run
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=operation.as_strategy(mode), choice=ID_CHOICES, mixed=mixed_ids(ids))
    def run(case: Case[Any], choice: str, mixed: dict[str, str]) -> None:
        negative_path = case.meta and case.meta.is_negative_at(ParameterLocation.PATH)
        if choice != "generated" and not negative_path:
            known = mixed if choice == "mixed" else {n: v[0] for n, v in ids.items()}
            case.path_parameters.update({n: known[n] for n in case.path_parameters})
        response = case.call(base_url=base_url, session=session)
        report.statuses[response.status_code] += 1
        case.validate_response(response, checks=FUZZ_CHECKS)

    run()


def has_inputs(operation: APIOperation[Any, Any, Any, Any]) -> bool:
    return any(True for _ in operation.iter_parameters()) or len(operation.body) > 0


ID_CHOICES = st.sampled_from(["generated", "happy", "mixed"])


def mixed_ids(ids: dict[str, list[str]]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({name: st.sampled_from(values) for name, values in ids.items()})
