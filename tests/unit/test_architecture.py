"""The shape every service keeps (README, "How it is built"), checked on the code itself:

- routes parse, run a command handler or a query, and map the answer: no route module runs SQL, imports psycopg,
  reaches `request.app.state`, or refuses a business rule itself (rules raise RuleViolation in the domain and the
  handlers, answered once by the problem layer);
- every service is described by its composition root and listed in the registry;
- the domain is pure: no I/O libraries.
"""

import ast
from pathlib import Path

import pytest

from shared.platform.registry import SERVICE_NAMES, definitions

ROOT = Path(__file__).resolve().parents[2]
SQL_WORDS = ("SELECT ", "INSERT ", "UPDATE ", "DELETE ", " FROM ", " WHERE ", "JOIN ")
IO_MODULES = ("psycopg", "psycopg_pool", "aiokafka", "httpx", "fastapi", "sqlalchemy")


def modules(*parts: str) -> list[Path]:
    return sorted(p for p in ROOT.joinpath(*parts).rglob("*.py") if p.name != "__init__.py" or p.stat().st_size)


def route_modules() -> list[Path]:
    return [p for service in SERVICE_NAMES for p in modules("services", service, "api")]


def imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", route_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_routes_run_no_sql_and_enforce_no_rule_themselves(path):
    tree = ast.parse(path.read_text())
    offences = [m for m in imported(tree) if m.split(".")[0] in ("psycopg", "psycopg_pool")]
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if any(word in node.value.upper() and word.strip() in node.value for word in SQL_WORDS):
                offences.append(f"line {node.lineno}: SQL {node.value[:40]!r}")
        if isinstance(node, ast.Attribute) and node.attr in ("execute", "connection", "state"):
            offences.append(f"line {node.lineno}: .{node.attr}")
        if isinstance(node, ast.Name) and node.id in ("fetch_page", "rule_violated"):
            offences.append(f"line {node.lineno}: {node.id}")
    assert not offences, offences


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_the_domain_does_no_io(service):
    for path in modules("services", service, "domain"):
        heavy = [m for m in imported(ast.parse(path.read_text())) if m.split(".")[0] in IO_MODULES]
        assert not heavy, f"{path.relative_to(ROOT)} imports {heavy}"


def test_every_service_has_a_composition_root_in_the_registry():
    assert tuple(d.name for d in definitions()) == SERVICE_NAMES
    for service in definitions():
        assert ROOT.joinpath("services", service.name, "bootstrap.py").exists()
        assert service.application.service == service.name
        assert service.routers and service.default_port
        for entry_point in ("web.py", "relay.py", "worker.py"):  # one launcher: python -m shared.platform.run
            assert not ROOT.joinpath("services", service.name, entry_point).exists()
