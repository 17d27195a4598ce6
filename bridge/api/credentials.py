"""The account a request speaks for: its Basic credentials on the current directory snapshot."""

from __future__ import annotations

from aiohttp import web

from bridge.connections import address_key
from bridge.directory import AccountEntry
from bridge.keys import authenticator_key, clients_key, directory_key
from bridge.logs import account_var


async def authenticate(request: web.Request) -> AccountEntry:
    """The account of the request's ``Authorization`` header (401 without a good one); failed
    logins are paid for by the client's address, seen through trusted proxies (an IPv6
    client's /64: one host may hold all of it)."""
    app = request.app
    authenticator, header = app[authenticator_key], request.headers.get("Authorization")
    snapshot = app[directory_key].current
    # a header verified before needs no client address (which costs a parse): only a check does
    account = authenticator.recall(header, snapshot) or await authenticator.authenticate(
        header, snapshot, address_key(app[clients_key].address(request))
    )
    account_var.set(account.username)
    return account
