"""The AstDB actions of the simulated PBX over a plain dict keyed by full path (``/DND/4224``).

Texts as captured: DBGet of a missing key is ``Database entry not found``, DBDel of one is
``Database entry could not be deleted``, DBGetTree keys are full paths and an unknown family is
an empty list. Texts the captures do not show (no Family, ...) are those of Asterisk's source.
"""

from __future__ import annotations

from bridge.pbxsim.session import ActionHandler, Reply


def _get(reply: Reply, key: str) -> str:
    return (reply.request.get(key) or "").strip()


class AstDbActions:
    """DBPut, DBGet, DBDel, DBDelTree and DBGetTree over ``astdb``."""

    def __init__(self, astdb: dict[str, str]) -> None:
        self._astdb = astdb

    def handlers(self) -> dict[str, ActionHandler]:
        """Lower-case action name -> handler."""
        return {
            "dbput": self.db_put, "dbget": self.db_get, "dbdel": self.db_del,
            "dbdeltree": self.db_del_tree, "dbgettree": self.db_get_tree,
        }  # fmt: skip

    def _family_key(self, reply: Reply, dot: str = ".") -> tuple[str, str] | None:
        family, key = _get(reply, "Family"), _get(reply, "Key")
        if not family:
            reply.error(f"No family specified{dot}")
        elif not key:
            reply.error(f"No key specified{dot}")
        else:
            return family, key
        return None

    def db_put(self, reply: Reply) -> None:
        names = self._family_key(reply, dot="")
        if names is not None:
            self._astdb[f"/{names[0]}/{names[1]}"] = reply.request.get("Val") or ""
            reply.success("Updated database successfully")

    def db_get(self, reply: Reply) -> None:
        names = self._family_key(reply)
        if names is None:
            return
        value = self._astdb.get(f"/{names[0]}/{names[1]}")
        if value is None:
            reply.error("Database entry not found")
            return
        reply.list_start("Result will follow")
        reply.list_item("DBGetResponse", [("Family", names[0]), ("Key", names[1]), ("Val", value)])
        reply.list_complete("DBGetComplete", 1)

    def db_del(self, reply: Reply) -> None:
        names = self._family_key(reply)
        if names is None:
            return
        if self._astdb.pop(f"/{names[0]}/{names[1]}", None) is None:
            reply.error("Database entry could not be deleted")
        else:
            reply.success("Key deleted successfully")

    def _tree(self, reply: Reply) -> list[str]:
        family, key = _get(reply, "Family"), _get(reply, "Key")
        prefix = f"/{family}/{key}" if family and key else f"/{family}" if family else ""
        return sorted(
            name
            for name in self._astdb
            if not prefix or name == prefix or name.startswith(prefix + "/")
        )

    def db_del_tree(self, reply: Reply) -> None:
        if not _get(reply, "Family"):
            reply.error("No family specified.")
            return
        names = self._tree(reply)
        for name in names:
            del self._astdb[name]
        if names:
            reply.success("Key tree deleted successfully")
        else:
            reply.error("Database entry not found")

    def db_get_tree(self, reply: Reply) -> None:
        names = self._tree(reply)
        reply.list_start("Result will follow")
        for name in names:
            reply.list_item("DBGetTreeResponse", [("Key", name), ("Val", self._astdb[name])])
        reply.list_complete("DBGetTreeComplete", len(names))
