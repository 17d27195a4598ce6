"""The panel over HTTP: where it is, who may fetch it, its headers, its files, ``P/me``, and
what a first run says."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bridge.panel import panel_files
from tests.conftest import StartBridge
from tests.support import P, basic, call
from tests.test_serve import serving
from tests.world import PASSWORDS, World

STATIC = Path(__file__).resolve().parents[2] / "bridge" / "panel" / "static"
FIRST_ACCOUNT = "bridge account add NAME --admin"


async def test_root_redirects_to_the_panel(start_bridge: StartBridge, world: World) -> None:
    client = await start_bridge()
    for path in ("/", "/panel"):
        async with client.get(path, allow_redirects=False) as response:
            assert (response.status, response.headers["Location"]) == (302, "/panel/")


async def test_the_panel_needs_credentials(start_bridge: StartBridge, world: World) -> None:
    client = await start_bridge()
    for path in ("/panel/", "/panel/main.js"):
        async with client.get(path) as response:
            assert response.status == 401
            assert response.headers["WWW-Authenticate"] == 'Basic realm="bridge"'
            assert (await response.json())["error"] == "unauthenticated"


async def test_every_file_has_a_strict_policy(start_bridge: StartBridge, world: World) -> None:
    client = await start_bridge()
    names = ["", *sorted(panel_files())]
    assert {"index.html", "main.js", "panel.css"} <= set(names)
    for name in names:
        async with client.get(f"/panel/{name}", headers=basic("viewer", "viewer-pw")) as response:
            assert response.status == 200, name
            policy = response.headers["Content-Security-Policy"]
            directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
            assert directives["default-src"] == "'none'"
            assert directives["script-src"] == "'self'"
            assert directives["connect-src"] == "'self'"
            assert directives["frame-ancestors"] == "'none'"
            assert "unsafe" not in policy and "http" not in policy
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    async with client.get("/panel/", headers=basic("viewer", "viewer-pw")) as response:
        assert response.content_type == "text/html"
    async with client.get("/panel/main.js", headers=basic("viewer", "viewer-pw")) as response:
        assert response.content_type == "text/javascript"


async def test_unknown_files_and_methods(start_bridge: StartBridge, world: World) -> None:
    client = await start_bridge()
    status, body = await call(client, "GET", "/panel/nothing.js", "viewer")
    assert (status, body["error"]) == (404, "unknown-path")
    status, body = await call(client, "GET", "/panel/..%2Fapp.py", "viewer")
    assert status == 404
    status, body = await call(client, "POST", "/panel/", "viewer")
    assert (status, body["details"]["allowed"]) == (405, ["GET"])


def test_the_files_hold_no_inline_script_and_no_markup_from_data() -> None:
    html = (STATIC / "index.html").read_text()
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S)
    assert scripts and all(body.strip() == "" for body in scripts)
    assert not re.search(r"\son[a-z]+\s*=", html), "no inline event handlers"
    assert not re.search(r"https?://|//cdn", html), "nothing from another origin"
    for shipped in STATIC.iterdir():  # nothing fetched from elsewhere (an SVG names its XML ns)
        text = shipped.read_text().replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert not re.search(r"https?://|url\(|@import", text), shipped.name
    for script in STATIC.glob("*.js"):
        text = script.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in text, f"{script.name} uses {sink}"
        for imported in re.findall(r"from '\./([^']+)'", text):
            assert (STATIC / imported).is_file(), f"{script.name} imports {imported}"


async def test_me_tells_the_account_and_its_rights(start_bridge: StartBridge, world: World) -> None:
    client = await start_bridge()
    status, admin = await call(client, "GET", f"{P}/me", "admin")
    assert status == 200
    assert admin["username"] == "admin" and admin["admin"] is True
    assert admin["id"] == world.accounts["admin"]
    status, viewer = await call(client, "GET", f"{P}/me", "viewer")
    assert viewer["admin"] is False and viewer["userId"] is None
    assert world.ext_permission in viewer["rights"]["view"]
    assert world.ext_permission in viewer["rights"]["dnd"]  # an "all" grant
    assert viewer["ownExtensionIds"] == []
    status, linked = await call(client, "GET", f"{P}/me", "linked")
    assert linked["userId"] == world.users["alice"]
    assert sorted(linked["ownExtensionIds"]) == sorted([world.ext["100"], world.ext["108"]])
    assert list(linked["rights"]) == ["view", "originate", "dnd", "control", "pause"]
    status, again = await call(client, "GET", f"{P}/me/", "admin")
    assert (status, again) == (200, admin)
    status, _ = await call(client, "GET", f"{P}/me", None)
    assert status == 401
    assert "password" not in str(admin).lower()


async def test_no_account_yet_the_401_says_how_to_make_one(start_bridge: StartBridge) -> None:
    client = await start_bridge()
    status, body = await call(client, "GET", "/panel/", "admin", password="x")
    assert status == 401
    assert FIRST_ACCOUNT in body["message"]


async def test_the_start_up_log_names_the_panel_and_the_first_account_step(
    database_url: str, tmp_path: Path
) -> None:
    async with serving(database_url, tmp_path) as served, aiohttp.ClientSession() as session:
        base = f"http://127.0.0.1:{served.port}"
        async with session.get(base + "/panel/") as response:
            assert FIRST_ACCOUNT in (await response.json())["message"]
    log = served.log.read_text()
    assert f"operator panel: http://127.0.0.1:{served.port}/panel/" in log
    assert FIRST_ACCOUNT in log


@pytest.mark.parametrize("account", ["viewer", "csonly"])
async def test_a_restricted_account_loads_the_panel(
    start_bridge: StartBridge, world: World, account: str
) -> None:
    client = await start_bridge()
    headers: dict[str, Any] = basic(account, PASSWORDS[account])
    async with client.get("/panel/", headers=headers) as response:
        assert response.status == 200
        assert 'data-link="connecting"' in await response.text()
