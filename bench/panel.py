"""Benchmark 6: the operator panel with 1,000 extensions and 500 live changes a second.

``python -m bench.panel [--extensions 1000] [--rate 500] [--seconds 20] [--loads 3]``

The bridge (a process of its own, pinned to one core) over the simulated PBX with 1,000 licensed
extensions; the panel open in Debian's headless Chromium (``/usr/bin/chromium``, or
``BRIDGE_CHROMIUM``) through Playwright. Chromium and this process (the PBX, Playwright's
driver) share the other core.

First render: the panel loaded ``--loads`` times, each from navigation start (the page's
``performance.timeOrigin``) to the first animation frame with every extension's card in the page,
and to the page saying it is loaded with its event stream up (the cards carry the live state
the bridge knew then: every one is checked against what the PBX was told).

Live changes: the PBX raises ``--rate`` changes a second for ``--seconds`` seconds, nine in ten a
phone's device state (``DeviceStateChange``, and ``ExtensionStatus`` where a hint covers it), one
in ten a DND toggle from the phone (the AstDB key and ``Custom:DND<n>``, which makes the bridge
read the key). The extensions take their turns in a fixed shuffled order, so each changes every
``extensions / rate`` seconds. The bench notes ``time.time()`` as the PBX writes each event; a
``MutationObserver`` injected by Playwright (not part of the panel) notes
``performance.timeOrigin + performance.now()`` when a card's ``data-state`` or ``data-dnd`` is
set, and again at the start of the animation frame after that (the panel changes cards within an
animation frame, which paints them as it ends: "frame after" is at most a frame later than the
paint). Both are this machine's system clock; their offset is measured by round trips and
printed. The bridge's own stamp on each event (its ``time``, whole milliseconds) splits the
latency into the bridge's part and the page's. A change counts as seen when
its value appears on its card after it was sent; one overtaken by the next change of the same
card before it was drawn would count as unseen (coalesced): the card's final state is checked
against the last change sent. The page's long tasks (over 50 ms) come from a
``PerformanceObserver``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import CDPSession, Page, async_playwright

from bench.common import (
    ADMIN,
    PASSWORD,
    bridge_env,
    cpus,
    free_port,
    pbx_server,
    percentile,
    pin,
    seed,
    start_process,
    stop,
    wait_healthy,
    workdir,
)
from bridge.pbxsim import SimulatedPbx

CHROMIUM = os.environ.get("BRIDGE_CHROMIUM", "/usr/bin/chromium")
FIRST = 1000
STATES = ["NOT_INUSE", "INUSE", "RINGING", "ONHOLD", "BUSY", "UNAVAILABLE", "RINGINUSE"]
# the device states a phone goes through most: idle, ringing, talking
WEIGHTS = [30, 30, 15, 8, 7, 5, 5]
DND_SHARE = 0.1

# Injected before the panel's own scripts: what the bench reads back. Not part of the panel.
OBSERVER = """
(() => {
  const bench = window.__bench = { changes: [], frames: [], longTasks: [], links: [],
    messages: [], cardsAt: null, expected: 0 };
  const now = () => performance.timeOrigin + performance.now();
  // when each stream message reaches the page (a listener added before the panel's own)
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const socket = new Native(...args);
    socket.addEventListener('message', (m) => bench.messages.push([now(), m.data]));
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
  let pending = null;
  const observer = new MutationObserver((mutations) => {
    const at = now();
    const first = bench.changes.length;
    for (const m of mutations) {
      const el = m.target;
      if (el.id === 'link') { bench.links.push([el.dataset.link, at]); continue; }
      const number = el.dataset && el.dataset.extensionNumber;
      if (number === undefined) continue;
      bench.changes.push([number, m.attributeName, el.getAttribute(m.attributeName), at]);
    }
    if (pending === null) {
      pending = first;
      requestAnimationFrame(() => {
        bench.frames.push([pending, now()]);
        pending = null;
      });
    }
  });
  observer.observe(document, { subtree: true, attributes: true,
    attributeFilter: ['data-state', 'data-dnd', 'data-link'] });
  const cards = document.getElementsByClassName('ext');
  const frame = () => {
    if (bench.expected && cards.length >= bench.expected) { bench.cardsAt = now(); return; }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        bench.longTasks.push([performance.timeOrigin + e.startTime, e.duration]);
      }
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // no long task timing in this browser
  }
})();
"""


@dataclass
class Sent:
    number: str
    attribute: str
    value: str
    at: float


@dataclass
class World:
    states: dict[str, str] = field(default_factory=dict)
    dnd: dict[str, bool] = field(default_factory=dict)


async def clock_offset(page: Page) -> tuple[float, float]:
    """The page's clock minus this process's (seconds), and its uncertainty (half the best
    round trip)."""
    best = (0.0, float("inf"))
    for _ in range(20):
        before = time.time()
        page_ms = await page.evaluate("performance.timeOrigin + performance.now()")
        after = time.time()
        half = (after - before) / 2
        if half < best[1]:
            best = (page_ms / 1000 - (before + half), half)
    return best


async def open_panel(page: Page, base: str, extensions: int) -> dict[str, float]:
    """Navigate and wait for every card and the live stream; the page's times, from navigation
    start, in seconds."""
    await page.goto(base + "/panel/", wait_until="commit")
    await page.evaluate(f"window.__bench.expected = {extensions}")
    ready = (
        "window.__bench.cardsAt !== null && document.body.dataset.loaded === 'true'"
        " && document.getElementById('link').dataset.link === 'up'"
    )
    async with asyncio.timeout(120):
        # (not wait_for_function: it evaluates a string, which the panel's CSP refuses)
        while True:
            if await page.evaluate(ready):
                break
            await asyncio.sleep(0.05)
    times = await page.evaluate(
        """(() => {
          const nav = performance.getEntriesByType('navigation')[0];
          const up = window.__bench.links.filter(([s]) => s === 'up').map(([, t]) => t);
          return { dom: nav.domContentLoadedEventEnd, cards: window.__bench.cardsAt,
                   up: up.length ? up[0] : null, origin: performance.timeOrigin };
        })()"""
    )
    origin = times["origin"]
    return {
        "dom_content_loaded_s": times["dom"] / 1000,
        "cards_s": (times["cards"] - origin) / 1000,
        "stream_up_s": (times["up"] - origin) / 1000 if times["up"] else float("nan"),
    }


async def main_thread(cdp: CDPSession) -> dict[str, float]:
    """Seconds the page's main thread spent so far: all tasks, script, style, layout."""
    reply = await cdp.send("Performance.getMetrics")
    metrics = {m["name"]: m["value"] for m in reply["metrics"]}
    return {
        "task": metrics["TaskDuration"],
        "script": metrics["ScriptDuration"],
        "style": metrics["RecalcStyleDuration"],
        "layout": metrics["LayoutDuration"],
    }


async def shown(page: Page) -> dict[str, tuple[str, str]]:
    cards = await page.evaluate(
        "[...document.getElementsByClassName('ext')].map((c) => "
        "[c.dataset.extensionNumber, c.dataset.state, c.dataset.dnd])"
    )
    return {number: (state, dnd) for number, state, dnd in cards}


def change(pbx: SimulatedPbx, world: World, number: str, rng: random.Random) -> Sent:
    if rng.random() < DND_SHARE:
        on = not world.dnd[number]
        world.dnd[number] = on
        at = time.time()
        pbx.dnd_feature_code(number, on, via_phone=False)
        return Sent(number, "data-dnd", "true" if on else "false", at)
    old = world.states[number]
    state = old
    while state == old:
        state = rng.choices(STATES, WEIGHTS)[0]
    world.states[number] = state
    at = time.time()
    pbx.set_device_state(f"PJSIP/{number}", state)
    return Sent(number, "data-state", state, at)


async def stream(
    pbx: SimulatedPbx, world: World, numbers: list[str], rate: float, seconds: float
) -> list[Sent]:
    """``rate`` changes a second for ``seconds``, the extensions in turn (a fixed shuffle)."""
    rng = random.Random(6)
    order = list(numbers)
    rng.shuffle(order)
    sent: list[Sent] = []
    total = int(rate * seconds)
    started = time.perf_counter()
    while len(sent) < total:
        due = min(total, int((time.perf_counter() - started) * rate) + 1)
        while len(sent) < due:
            sent.append(change(pbx, world, order[len(sent) % len(order)], rng))
        await asyncio.sleep(0.002)
    return sent


def delivered(
    sent: list[Sent], messages: list[list[Any]], offset: float
) -> tuple[list[float], list[float]]:
    """Seconds from each change sent to the bridge's stamp on its event (``time``, whole
    milliseconds, the bridge's clock: this machine's) and to its message reaching the page."""
    by_key: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
    for at, data in messages:
        event = json.loads(data)
        if event.get("type") == "extension.state":
            key = (event["extensionNumber"], "data-state", str(event["deviceState"]))
        elif event.get("type") == "extension.dnd":
            key = (event["extensionNumber"], "data-dnd", json.dumps(event["dnd"]))
        else:
            continue
        stamp = dt.datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp()
        by_key.setdefault(key, []).append((stamp, at))
    stamped, arrived = [], []
    for one in sent:
        times = by_key.get((one.number, one.attribute, one.value), [])
        hit = next((t for t in times if t[0] >= one.at - 0.001), None)
        if hit is not None:
            stamped.append(hit[0] - one.at)
            arrived.append(hit[1] / 1000 - offset - one.at)
    return stamped, arrived


def latencies(
    sent: list[Sent], seen: list[list[Any]], frames: list[list[float]], offset: float
) -> tuple[list[float], list[float], int]:
    """Per change seen: seconds to its DOM change and to the next animation frame; how many
    were never seen."""
    # the frame after each observed change: frames[i] = [index of the first change it covers, t]
    frame_after = [0.0] * len(seen)
    marks = sorted(frames)
    for (start, at), nxt in zip(marks, [*marks[1:], [len(seen), 0.0]], strict=True):
        for index in range(int(start), min(int(nxt[0]), len(seen))):
            frame_after[index] = at
    by_key: dict[tuple[str, str, str], list[int]] = {}
    for index, (number, attribute, value, _) in enumerate(seen):
        by_key.setdefault((number, attribute, value), []).append(index)
    dom, painted, unseen = [], [], 0
    for one in sent:
        candidates = by_key.get((one.number, one.attribute, one.value), [])
        sent_at = (one.at + offset) * 1000  # on the page's clock, ms
        hit = next((i for i in candidates if seen[i][3] >= sent_at), None)
        if hit is None:
            unseen += 1
            continue
        dom.append((seen[hit][3] - sent_at) / 1000)
        if frame_after[hit]:
            painted.append((frame_after[hit] - sent_at) / 1000)
    return dom, painted, unseen


async def main(
    extensions: int, rate: float, seconds: float, loads: int, trace: str | None = None
) -> dict[str, float]:
    cores = cpus()
    bridge_cpu = cores[0] if cores else None
    other_cpu = cores[1] if len(cores) > 1 else None
    pin(0, other_cpu)  # Playwright's driver and Chromium, started from here, inherit it
    numbers = [str(FIRST + n) for n in range(extensions)]
    world = World({n: "NOT_INUSE" for n in numbers}, {n: False for n in numbers})
    figures: dict[str, float] = {}
    async with SimulatedPbx(login_failure_delay=0.01) as pbx:
        # a PBX that has run a while: a tenth of the phones busy before the panel opens
        for index, number in enumerate(numbers):
            state = "INUSE" if index % 10 == 3 else "NOT_INUSE"
            world.states[number] = state
            pbx.remember_device_state(f"PJSIP/{number}", state)
        with workdir("panel") as directory:
            url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
            await seed(url, servers=[pbx_server(pbx.port)], extensions_per_server=extensions)
            port = free_port()
            bridge = await start_process(
                ["-m", "bridge", "serve"], bridge_env(url, port), bridge_cpu
            )
            try:
                await wait_healthy(port, connected_servers=1)
                await asyncio.sleep(1.0)  # the sync after login
                base = f"http://127.0.0.1:{port}"
                async with async_playwright() as playwright:
                    browser = await playwright.chromium.launch(executable_path=CHROMIUM)
                    try:
                        context = await browser.new_context(
                            http_credentials={"username": ADMIN, "password": PASSWORD}
                        )
                        await context.add_init_script(OBSERVER)
                        page = await context.new_page()
                        renders = [await open_panel(page, base, extensions) for _ in range(loads)]
                        for key in renders[0]:
                            figures[f"first_render_{key}"] = statistics.median(
                                r[key] for r in renders
                            )
                            figures[f"first_render_{key}_max"] = max(r[key] for r in renders)
                        wrong = sum(
                            shown_state != world.states[number]
                            for number, (shown_state, _) in (await shown(page)).items()
                        )
                        figures["first_render_wrong_cards"] = float(wrong)
                        offset, uncertainty = await clock_offset(page)
                        figures["clock_offset_ms"] = offset * 1000
                        figures["clock_uncertainty_ms"] = uncertainty * 1000
                        await page.evaluate(
                            "window.__bench.changes = []; window.__bench.frames = [];"
                            " window.__bench.longTasks = []; window.__bench.links = [];"
                            " window.__bench.messages = [];"
                        )
                        cdp = await context.new_cdp_session(page)
                        await cdp.send("Performance.enable")
                        before = await main_thread(cdp)
                        if trace:
                            await browser.start_tracing(page=page, path=trace)
                        sent = await stream(pbx, world, numbers, rate, seconds)
                        if trace:
                            await browser.stop_tracing()
                        await asyncio.sleep(3.0)  # the last changes drawn
                        after = await main_thread(cdp)
                        for key, value in after.items():
                            figures[f"main_thread_{key}_s_per_s"] = (value - before[key]) / (
                                seconds + 3.0
                            )
                        bench = await page.evaluate("window.__bench")
                        final = await shown(page)
                    finally:
                        await browser.close()
            finally:
                await stop(bridge)
    dom, painted, unseen = latencies(sent, bench["changes"], bench["frames"], offset)
    stamped, arrived = delivered(sent, bench["messages"], offset)
    wrong_final = sum(
        final.get(n, ("", "")) != (world.states[n], "true" if world.dnd[n] else "false")
        for n in numbers
    )
    long_tasks = [d for at, d in bench["longTasks"]]
    downs = sum(1 for s, _ in bench["links"] if s == "down")
    figures.update(
        {
            "changes_sent": float(len(sent)),
            "changes_per_s_sent": len(sent) / (sent[-1].at - sent[0].at),
            "changes_seen": float(len(dom)),
            "changes_unseen": float(unseen),
            "final_cards_wrong": float(wrong_final),
            "latency_dom_p50_ms": percentile(dom, 0.5) * 1000,
            "latency_dom_p99_ms": percentile(dom, 0.99) * 1000,
            "latency_dom_max_ms": max(dom) * 1000,
            "latency_stamped_p50_ms": percentile(stamped, 0.5) * 1000,
            "latency_stamped_p99_ms": percentile(stamped, 0.99) * 1000,
            "latency_stamped_max_ms": max(stamped) * 1000,
            "latency_message_p50_ms": percentile(arrived, 0.5) * 1000,
            "latency_message_p99_ms": percentile(arrived, 0.99) * 1000,
            "latency_message_max_ms": max(arrived) * 1000,
            "changes_delivered": float(len(arrived)),
            "latency_frame_p50_ms": percentile(painted, 0.5) * 1000,
            "latency_frame_p99_ms": percentile(painted, 0.99) * 1000,
            "latency_frame_max_ms": max(painted) * 1000,
            "long_tasks": float(len(long_tasks)),
            "long_tasks_total_ms": sum(long_tasks),
            "long_tasks_max_ms": max(long_tasks, default=0.0),
            "stream_drops": float(downs),
        }
    )
    print(f"{extensions} extensions, the panel in headless Chromium")
    print(
        f"  first render (median of {loads} loads, from navigation start): stream up"
        f" {figures['first_render_stream_up_s']:.2f} s, every card drawn with its live state"
        f" {figures['first_render_cards_s']:.2f} s"
        f" (slowest {figures['first_render_cards_s_max']:.2f} s); {wrong} cards with a wrong state"
    )
    print(
        f"  {len(sent)} changes in {seconds:g} s ({figures['changes_per_s_sent']:.0f}/s,"
        f" {1 - DND_SHARE:.0%} device states, {DND_SHARE:.0%} DND):"
        f" {len(dom)} seen, {unseen} unseen (coalesced), {wrong_final} cards wrong at the end"
    )
    print("                       p50        p99        max")
    rows = (
        ("AMI -> bridge event", "stamped"),
        ("AMI -> WebSocket msg", "message"),
        ("AMI -> DOM", "dom"),
        ("AMI -> frame after", "frame"),
    )
    for name, key in rows:
        p50, p99, top = (figures[f"latency_{key}_{p}_ms"] for p in ("p50", "p99", "max"))
        print(f"  {name:20} {p50:7.1f} ms {p99:7.1f} ms {top:7.1f} ms")
    print(
        f"  long tasks during the stream: {len(long_tasks)}, {sum(long_tasks):.0f} ms in all,"
        f" longest {figures['long_tasks_max_ms']:.0f} ms; stream drops {downs}"
    )
    busy = ", ".join(
        f"{key} {figures[f'main_thread_{key}_s_per_s']:.0%}"
        for key in ("task", "script", "style", "layout")
    )
    print(f"  the page's main thread busy during the stream (and 3 s after): {busy}")
    print(
        f"  page clock - bench clock: {figures['clock_offset_ms']:+.2f} ms"
        f" (± {figures['clock_uncertainty_ms']:.2f} ms)"
    )
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extensions", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument(
        "--trace", metavar="PATH", help="write Chromium's trace of the stream (chrome://tracing)"
    )
    args = parser.parse_args()
    figures = asyncio.run(main(args.extensions, args.rate, args.seconds, args.loads, args.trace))
    print(json.dumps(figures, indent=2))
