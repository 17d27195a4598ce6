"""``bridge grant``, run as a process on both databases."""

from __future__ import annotations

import sqlalchemy as sa

from bridge import models
from tests.commands.run import bridge
from tests.support import Seed


async def grants_of(seed: Seed, account_id: str) -> set[tuple[str, str]]:
    async with seed.engine.connect() as connection:
        rows = await connection.execute(
            sa.text("SELECT permission_id, action FROM grants WHERE account_id = :id"),
            {"id": account_id},
        )
        return {(row.permission_id, row.action) for row in rows}


async def test_grants_on_each_kind_of_target(database_url: str, seed: Seed) -> None:
    cs = await seed.core_server("default")
    ext = await seed.extension(cs, "4224")
    queue = await seed.queue(cs, "support")
    wallboard = await seed.account("wallboard", "pw")
    cs_permission = await seed.permission_of(models.CoreServer, cs)
    ext_permission = await seed.permission_of(models.Extension, ext)
    queue_permission = await seed.permission_of(models.Queue, queue)
    cases = [
        (["view", "--all"], ("*", "view")),
        (["view", "--core-server", "default"], (cs_permission, "view")),
        (["originate", "--extension", "default/4224"], (ext_permission, "originate")),
        (["all", "--queue", "default/support"], (queue_permission, "all")),
    ]
    for args, expected in cases:
        code, out, err = await bridge("grant", "wallboard", *args, url=database_url)
        assert code == 0, err
        assert out.startswith(f"granted {args[0]} on ")
        assert expected in await grants_of(seed, wallboard)
    assert len(await grants_of(seed, wallboard)) == len(cases)

    # once more: nothing changes, and that is no error
    code, out, _ = await bridge("grant", "wallboard", "view", "--all", url=database_url)
    assert (code, out) == (
        0,
        "wallboard holds view on everything (permission id '*') already: nothing changed\n",
    )
    assert len(await grants_of(seed, wallboard)) == len(cases)

    code, out, _ = await bridge("account", "list", url=database_url)
    assert code == 0
    assert out.splitlines() == [
        "wallboard",
        "  all on queue default/support",
        "  originate on extension default/4224",
        "  view on everything",
        "  view on core server default",
    ]
    assert "$argon2" not in out


async def test_acting_without_view_is_pointed_out(database_url: str, seed: Seed) -> None:
    cs = await seed.core_server("default")
    await seed.extension(cs, "4224")
    await seed.account("desk", "pw")
    code, out, _ = await bridge(
        "grant", "desk", "dnd", "--extension", "default/4224", url=database_url
    )
    assert code == 0
    assert "cannot view it yet" in out


async def test_unknown_names_and_actions_are_refused(database_url: str, seed: Seed) -> None:
    cs = await seed.core_server("default")
    await seed.extension(cs, "4224")
    account = await seed.account("wallboard", "pw")
    for args, message in [
        (["nobody", "view", "--all"], "no account 'nobody'"),
        (["wallboard", "view", "--core-server", "other"], "no core server 'other'"),
        (["wallboard", "view", "--extension", "default/4299"], "no extension '4299' on core"),
        (["wallboard", "view", "--extension", "other/4224"], "no core server 'other'"),
        (["wallboard", "view", "--queue", "default/sales"], "no queue 'sales'"),
        (["wallboard", "view", "--queue", "support"], "default/support"),
    ]:  # fmt: skip
        code, _, err = await bridge("grant", *args, url=database_url)
        assert code == 1, args
        assert message in err
    code, _, err = await bridge("grant", "wallboard", "rule", "--all", url=database_url)
    assert code == 2 and "invalid choice: 'rule'" in err
    code, _, err = await bridge("grant", "wallboard", "view", url=database_url)
    assert code == 2 and "one of the arguments --all" in err
    assert await grants_of(seed, account) == set()
