"""The mail package is layered: each module imports only the layers below it (jobs/mail/)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import jobs.mail

PACKAGE = Path(jobs.mail.__file__).parent
# Bottom-up, as the package's docstring lists them; modules of one layer may not import
# each other unless listed in that order within the layer.
LAYERS = [
    ["errors", "serialize", "delivery"],
    ["registry"],
    ["jobs"],
    ["mailer"],
    ["backends"],
    ["checks", "testing"],
]
ORDER = [name for layer in LAYERS for name in layer]


def mail_imports(module: str) -> set[str]:
    """Modules of jobs.mail that `module` imports, at its top or inside functions."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name == "jobs.mail":
                found.add("__init__")
            elif name.startswith("jobs.mail."):
                found.add(name.split(".")[2])
    return found


def test_every_module_has_its_place() -> None:
    modules = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set(ORDER)


@pytest.mark.parametrize("module", ORDER)
def test_a_module_imports_only_the_layers_below_it(module: str) -> None:
    below = set(ORDER[: ORDER.index(module)])
    assert mail_imports(module) <= below, f"{module} imports {mail_imports(module) - below}"
