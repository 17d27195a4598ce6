"""What an import changed, for its output: a line per change, notes, counts per kind."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bridge.logs import escaped

KINDS = ("extension", "user", "queue", "agent", "license")


@dataclass(slots=True)
class ImportReport:
    """What an import changed: one line per change, and what became of each object."""

    source: str
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    outcomes: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in KINDS})

    def record(self, kind: str, key: str, verb: str, detail: str = "") -> None:
        """``verb``: ``added``, ``updated`` or ``unchanged``; an object added or updated once
        stays so."""
        seen = self.outcomes[kind]
        if seen.get(key) in (None, "unchanged"):
            seen[key] = verb
        if verb != "unchanged":
            # keys and names may come from admin SQL: no control character reaches the terminal
            self.lines.append(escaped(f"{kind} {key}: {verb}{f' ({detail})' if detail else ''}"))

    @property
    def changed(self) -> bool:
        return any(v != "unchanged" for kind in self.outcomes.values() for v in kind.values())

    def summary(self) -> str:
        parts = []
        for kind in KINDS[:4]:
            count = Counter(self.outcomes[kind].values())
            parts.append(
                f"{kind}s: {count['added']} added, {count['updated']} updated, "
                f"{count['unchanged']} unchanged"
            )
        return "; ".join(parts)
