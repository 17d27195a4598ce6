"""The answers, headers and parameters of the OpenAPI document (``components.responses``,
``.headers``, ``.parameters``): one error answer per status, each naming its error ids."""

from __future__ import annotations

from bridge.api.openapi.schemas import JSON, STRING, Schema, ref
from bridge.api.render import NATURAL_MAX

# status: (component name, description). The description lists the error ids of that status.
ERRORS: dict[int, tuple[str, str]] = {
    400: (
        "BadRequest",
        "Malformed request: `invalid-parameter` (limit/offset not a whole number from 0 to "
        "999999999), `invalid-json`, `invalid-body` (not a JSON object), `bad-request` "
        "(a malformed HTTP request, or not a WebSocket handshake).",
    ),
    401: (
        "Unauthenticated",
        "`unauthenticated`: no credentials, wrong ones, or a disabled account.",
    ),
    403: (
        "Forbidden",
        "A parent in the path, or the target, is restricted: `forbidden` (no grant), "
        "`core-server-disabled`, `queue-disabled`, `extension-not-licensed`, "
        "`agent-extension-not-licensed`, `action-forbidden` (no originate, dnd, control or "
        "pause right); "
        "`origin-forbidden`: a browser request from a page at a foreign origin (not the "
        "bridge's own, not in `[http] cors_origins`), refused before credentials are checked; "
        "`host-forbidden`: a request for a host name the bridge does not serve (DNS rebinding: "
        "not an address, `localhost`, a name without a dot or one in `[http] allowed_hosts`).",
    ),
    404: (
        "NotFound",
        "`unknown-path`, or the first missing object of the path: `core-server-not-found`, "
        "`user-not-found`, `extension-not-found`, `queue-not-found`, `agent-not-found`, "
        "`call-segment-not-found` (no such live call segment, or it ended).",
    ),
    405: ("MethodNotAllowed", "`method-not-allowed`, with the allowed methods in `Allow`."),
    408: (
        "RequestTimeout",
        "`request-timeout`: the body did not arrive within `[http] body_timeout`; the "
        "connection is closed.",
    ),
    409: (
        "Conflict",
        "`idempotency-key-in-flight`: the first request with this `Idempotency-Key` is still "
        "being answered (by this process or another); ask again once it is.",
    ),
    413: ("PayloadTooLarge", "`payload-too-large`: the body is over `[http] max_body_bytes`."),
    415: (
        "UnsupportedMediaType",
        "`unsupported-media-type`: a request body not sent as `application/json`.",
    ),
    417: (
        "ExpectationFailed",
        "`expectation-failed`: an `Expect` header other than `100-continue`, on any path.",
    ),
    422: (
        "InvalidValue",
        "`destination-missing`, `destination-invalid`, `reason-too-long` (a pause reason over "
        "80 characters), `reason-invalid` (not a string, or with control characters), or "
        "`invalid-ami-header` (a value that would put a line break into an AMI header), "
        "`idempotency-key-invalid` (an `Idempotency-Key` that is not 1 to 128 printable "
        "characters), `idempotency-key-reused` (the key came with another path or body "
        "before); nothing was sent to Asterisk.",
    ),
    429: (
        "RateLimited",
        "`login-busy` (this address's share of the password checks is taken), "
        "`too-many-logins` (failed logins of this user name from this address, "
        "`[limits] failed_logins_per_minute`, or from this address under any name, "
        "`failed_logins_per_address_per_minute`), or `rate-limited` (the "
        "account's action allowance, `[limits] actions_per_minute`, or its originate "
        "allowance, `[limits] originate_per_minute`, which a transfer uses too). Retry after "
        "`Retry-After` seconds.",
    ),
    502: ("AmiActionFailed", "`ami-action-failed`: Asterisk answered the action with an error."),
    503: (
        "AmiUnavailable",
        "`ami-unavailable` (the link is not up, or for hangup and transfer the calls are not "
        "synchronised yet; answered at once) or `ami-disconnected` (it dropped before Asterisk "
        "answered; the action is never sent twice), or `idempotency-unavailable` (an action "
        "with an `Idempotency-Key` while the database does not answer: nothing was done).",
    ),
    504: ("AmiTimeout", "`ami-timeout`: Asterisk did not answer within `[ami] action_timeout`."),
}
# Headers an error answer always carries, by status.
ERROR_HEADERS = {401: "WWW-Authenticate", 405: "Allow", 429: "Retry-After"}

HEADERS: dict[str, Schema] = {
    "X-Request-Id": {
        "description": "The request's X-Request-Id when it is 1 to 64 of A-Z a-z 0-9 . _ -, "
        "else a new one; the log names it.",
        "schema": STRING,
    },
    "WWW-Authenticate": {
        "required": True,
        "description": "Basic everywhere; Bearer on /metrics when it has a token.",
        "schema": {"type": "string", "enum": ['Basic realm="bridge"', 'Bearer realm="metrics"']},
    },
    "Allow": {
        "required": True,
        "description": "The methods the path answers, comma-separated.",
        "schema": STRING,
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the kept answer of an earlier request with the "
        "same `Idempotency-Key` (nothing was done this time).",
        "schema": {"type": "string", "const": "true"},
    },
    "Retry-After": {
        "required": True,
        "description": "Seconds.",
        "schema": {"type": "integer", "minimum": 0},
    },
}


REQUEST_ID: Schema = {"X-Request-Id": ref("headers", "X-Request-Id")}
IDEMPOTENCY_KEY = (
    "Makes a retry safe: the same account sending the same key again within 24 hours, to "
    "any process of the bridge, gets the first answer's status (and body, for an error) with "
    "`Idempotent-Replayed: true`, and nothing is done again; 409 while the first is answered, "
    "422 when the key comes with another path or body. Only answers after which Asterisk may "
    "have acted are kept (204, 502, 504, 503 `ami-disconnected`); after a refusal (4xx, or "
    "503 before anything was sent) the key is free."
)


def ok(schema: Schema, description: str) -> Schema:
    """A JSON answer with ``schema``."""
    return {
        "description": description,
        "headers": REQUEST_ID,
        "content": {JSON: {"schema": schema}},
    }


def _error_response(status: int) -> Schema:
    description = ERRORS[status][1]
    headers = dict(REQUEST_ID)
    if status in ERROR_HEADERS:
        header = ERROR_HEADERS[status]
        headers[header] = ref("headers", header)
    schema = {"allOf": [ref("schemas", "Error")], "properties": {"status": {"const": status}}}
    return {"description": description, "headers": headers, "content": {JSON: {"schema": schema}}}


RESPONSES: dict[str, Schema] = {
    name: _error_response(status) for status, (name, _) in ERRORS.items()
}


def _natural(name: str, description: str) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": f"{description} Empty (`?{name}=`) is as if absent.",
        "allowEmptyValue": True,  # deprecated in 3.1, but says exactly this
        "schema": {"type": "integer", "minimum": 0, "maximum": NATURAL_MAX},
    }


PARAMETERS: dict[str, Schema] = {
    "Idempotency-Key": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": IDEMPOTENCY_KEY,
        "schema": {"type": "string", "minLength": 1, "maxLength": 128},
    },
    "limit": _natural("limit", "At most this many items."),
    "offset": _natural("offset", "Skip this many items first."),
    "X-Request-Id": {
        "name": "X-Request-Id",
        "in": "header",
        "required": False,
        "description": HEADERS["X-Request-Id"]["description"],
        "schema": STRING,
    },
}
