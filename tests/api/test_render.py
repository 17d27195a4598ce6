"""Answers cached per snapshot stay bounded: one live version per answer, and a byte budget."""

from __future__ import annotations

from functools import partial

from bridge.api.render import memoized
from bridge.directory.build import DirectoryRows, build_snapshot
from bridge.directory.snapshot import Snapshot
from bridge.memo import Memo
from tests.support import utc


def empty_snapshot() -> Snapshot:
    return build_snapshot(DirectoryRows([], [], [], [], [], [], [], []), utc(2026, 1, 1), version=1)


def build_at(version: int) -> bytes:
    return b"x" * 1000 + bytes([version % 256])


def test_a_live_answer_keeps_only_its_latest_version() -> None:
    snapshot = empty_snapshot()
    for version in range(1000):
        body = memoized(snapshot, ("list", "cs"), partial(build_at, version), version)
        assert body == build_at(version)
    assert len(snapshot.memo) == 1
    assert snapshot.memo.held_bytes == 1001
    # the same version is answered from memory
    assert memoized(snapshot, ("list", "cs"), lambda: b"other", 999) == build_at(999)


def test_the_memo_holds_at_most_its_byte_budget() -> None:
    memo = Memo(max_entries=10_000, max_bytes=100_000)
    for n in range(1000):
        memo.put(("page", n), b"y" * 1000)
        assert memo.held_bytes <= 100_000
    assert 0 < len(memo) <= 100


def test_the_memo_holds_at_most_its_entries() -> None:
    memo = Memo(max_entries=50, max_bytes=10**9)
    for n in range(500):
        memo.put(n, b"z")
        assert len(memo) <= 50
