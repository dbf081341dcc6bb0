"""The permission system: every route declares its permission and data scope (shown in OpenAPI), roles grant only
known permissions, and a caller gets exactly what its roles grant (403 naming the permission otherwise)."""

from uuid import uuid4

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from shared.platform import access_log, audit_api
from shared.platform.access import SCOPE_KINDS, DataScope, declared_access
from shared.platform.api import PUBLIC_PATHS
from shared.platform.auth import Principal, issue_token
from shared.platform.permissions import PERMISSIONS, PORTAL_ROLES, ROLES, permissions_of
from shared.platform.settings import SERVICES
from shared.platform.registry import definition
from tests.apps import web_app

ROLES_OF_THE_ISSUE = {"order_desk", "order_supervisor", "pricing_manager", "channel_manager", "finance", "warehouse",
                      "quality", "recall_officer", "auditor", "ops", "admin", "distributor_user", "hospital_user",
                      "wms_integration"}


def routes(service: str) -> list[APIRoute]:
    """Every route the service serves: its own (FastAPI includes routers lazily, so app.routes lists them as
    included routers) and those every service has (audit, access log)."""
    definition_routers = [*definition(service).routers, audit_api.router, access_log.router]
    own = [r for r in web_app(service).routes if isinstance(r, APIRoute)]
    return own + [r for router in definition_routers for r in router.routes if isinstance(r, APIRoute)]


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_declares_a_permission_and_a_data_scope_shown_in_its_openapi_operation(service):
    app = web_app(service)
    operations = {(method.upper(), path): op for path, ops in app.openapi()["paths"].items() for method, op in ops.items()}
    served = routes(service)
    assert len(served) > 8
    for route in served:
        if route.path in PUBLIC_PATHS:
            assert declared_access(route) is None, f"{route.path} is public: it must not need a token"
            continue
        declared = declared_access(route)
        assert declared is not None, f"{service} {route.methods} {route.path} declares no permission"
        permission, scope = declared
        assert permission in PERMISSIONS and scope in SCOPE_KINDS
        for method in route.methods:
            if route.include_in_schema:
                operation = operations[(method, route.path)]
                assert (operation["x-permission"], operation["x-data-scope"]) == (permission, scope)
                assert operation["description"].count(f"`{permission}`") == 1
    # And from the other side: every operation of the document carries them, but the probes.
    for (method, path), operation in operations.items():
        assert path in PUBLIC_PATHS or "x-permission" in operation, f"{method} {path}"


def test_roles_are_the_issue_s_and_grant_only_known_permissions_and_every_permission_is_granted():
    assert ROLES_OF_THE_ISSUE <= set(ROLES)
    granted = set()
    for role, permissions in ROLES.items():
        assert permissions <= set(PERMISSIONS), f"{role} grants unknown {permissions - set(PERMISSIONS)}"
        granted |= permissions
    assert granted == set(PERMISSIONS)
    assert ROLES["admin"] == frozenset(PERMISSIONS)
    assert not any(p.startswith(("audit:", "deadletter:")) for role in PORTAL_ROLES for p in ROLES[role])
    # Approvals are a supervisor's or a second officer's, never the order desk's own.
    assert "order:release-credit-hold" not in ROLES["order_desk"]
    assert permissions_of(["order_desk", "not-a-role"]) == ROLES["order_desk"]
    assert permissions_of([]) == frozenset()


def test_a_scope_reaches_the_customers_it_names_and_a_portal_role_without_one_reaches_nothing():
    hospital, distributor = uuid4(), uuid4()
    staff = DataScope.of(Principal(subject="a", name="a", roles=["order_desk"]))
    assert staff.everything and staff.condition(hospital="h") == {}
    rep = DataScope.of(Principal(subject="b", name="b", roles=["order_desk"], scopes=["region:浙江省"]))
    assert rep.covers(regions=["浙江省"]) and not rep.covers(regions=["四川省"], hospitals=[hospital])
    portal = DataScope.of(Principal(subject="c", name="c", roles=["hospital_user"]))
    assert not portal.everything and not portal.covers(hospitals=[hospital], regions=["浙江省"])
    assert list(portal.condition(hospital="h")) == ["false"]
    own = DataScope.of(Principal(subject="d", name="d", roles=["distributor_user"],
                                 scopes=[f"distributor:{distributor}"]))
    assert own.covers(distributors=[distributor]) and not own.covers(distributors=[uuid4()], hospitals=[hospital])
    condition = own.condition(hospital="o.hospital_id", distributor="o.distributor_id", region="h.region")
    assert list(condition) == ["(o.distributor_id = ANY(%s))"] and list(condition.values())[0] == ([distributor],)


@pytest.mark.parametrize("service,method,path,permission", [
    ("order", "post", "/orders", "order:place"),
    ("inventory", "post", "/quality/holds/release", "quality:release-hold"),
    ("channel", "post", "/hospitals", "hospital:register"),
    ("traceability", "post", "/recalls", "recall:manage"),
])
def test_a_role_without_the_permission_is_refused_with_403_naming_it_and_nothing_runs(service, method, path,
                                                                                    permission):
    app = web_app(service)
    holders = {role for role, permissions in ROLES.items() if permission in permissions}
    others = sorted(set(ROLES) - holders)
    assert holders and others
    client = TestClient(app)
    for role in others:
        token = issue_token("mallory", [role])
        answer = client.request(method, path, json={}, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 403, (role, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["required_permission"] == permission


def test_the_readme_role_table_is_the_one_in_code():
    from pathlib import Path

    from shared.platform.permissions import role_table
    assert role_table() in (Path(__file__).parents[2] / "README.md").read_text()


def test_an_identity_provider_s_roles_count_only_where_they_are_ours():
    from shared.platform.oidc import our_roles
    assert our_roles(["default-roles-erp", "offline_access", "order_desk", "uma_authorization", "auditor"]) == [
        "order_desk", "auditor"]
