"""The docs name real things: every module path in the README and docs/ exists, every
``module.py Name`` of docs/architecture.md is defined there, and no page leans on a document
the repository does not have."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MODULE = re.compile(r"\bbridge/[\w/]*\.py\b|\bbridge/[\w/]+/(?=[\s`),|])")
# "bridge/api/routes.py      dispatch: ..." or `bridge/auth.py Authenticator.authenticate`
# (a path and a name in one span; "`bridge/cli.py` loads" is prose)
OWNER = re.compile(r"(bridge/[\w/]+\.py)\s+([A-Z_a-z]\w*(?:\.[A-Z_a-z]\w*)?)\b")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_module_path_exists(page: Path) -> None:
    for found in MODULE.findall(page.read_text(encoding="utf-8")):
        assert (ROOT / found).exists(), f"{page.name} names {found}, which does not exist"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_page_leans_on_a_contract_outside_the_repository(page: Path) -> None:
    # (.ci/run refuses any tracked file that names the workshop folder beside the project)
    assert "DESIGN.md" not in page.read_text(encoding="utf-8")


def test_every_step_of_the_architecture_names_a_real_owner() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    steps = OWNER.findall(text)
    assert len(steps) >= 30  # the two flows and the snapshot, step by step
    for path, name in steps:
        module = importlib.import_module(path[: -len(".py")].replace("/", "."))
        owner: object = module
        for part in name.split("."):
            assert hasattr(owner, part), f"docs/architecture.md: {path} has no {name}"
            owner = getattr(owner, part)
