"""Access on every route: the permission it needs and the data scope its reads and commands are narrowed to.

A route declares both with `permitted(permission, scope=...)` (reads) or `command_by(permission, scope=...)`
(commands, shared/platform/api.py); the declaration is shown in the OpenAPI document (`x-permission`,
`x-data-scope`) and checked by tests (every route has one; the BOLA matrix tests every scoped route).

Data scopes: a principal's `distributor:<id>`, `hospital:<id>` and `region:<province>` scopes name the
customers whose data it may reach. Staff without scopes reach the whole company's data; portal roles
(permissions.PORTAL_ROLES) reach only what their scopes name, nothing without one. An object outside the scope
answers 404, exactly as one that does not exist, so that its existence is not revealed.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends

from shared.platform.auth import CurrentPrincipal, Principal
from shared.platform.paging import Several
from shared.platform.permissions import PERMISSIONS, PORTAL_ROLES, permissions_of
from shared.platform.problems import Problem

# What a route's data is scoped by, as declared (x-data-scope):
COMPANY = "company"  # not any customer's data (catalogue, stock, suppliers, recall lookups, audit): unscoped
SCOPE_KINDS = {
    COMPANY: "company-wide data: not narrowed by scope (refused to portal roles by their permissions)",
    "hospital": "a hospital: its own id or its province",
    "customer": "a customer, hospital or distributor: its own id, or its province or region",
    "distributor": "a distributor: its own id or its region",
    "contract": "a contract: its customer, the distributor it authorizes, or the customer's province",
    "order": "an order: its hospital, the distributor it ships through, or the hospital's province",
    "fulfilment": "an order's fulfilment: its hospital, the distributor it ships through, or the hospital's province",
    "invoice": "an invoice: the party billed, or the order's hospital, or their province",
    "sellout": "a sell-out report: the distributor that reported it, or its region",
    "return": "a return: the hospital it came from",
    "recall-notice": "a recall's notices: those addressed to the caller's hospital or distributor",
    "sales": "sales figures: those of the caller's hospital, of what went through its distributor, or of the"
             " hospitals in its provinces",
}


@dataclass(frozen=True)
class DataScope:
    """Which customers' data a principal reaches: everything, or the hospitals, distributors and provinces named."""

    everything: bool
    hospitals: frozenset[UUID] = frozenset()
    distributors: frozenset[UUID] = frozenset()
    regions: frozenset[str] = frozenset()

    @classmethod
    def of(cls, principal: Principal) -> "DataScope":
        named: dict[str, set] = {"hospital": set(), "distributor": set(), "region": set()}
        for scope in principal.scopes:  # forms checked when the token was verified (auth.Principal)
            kind, _, value = scope.partition(":")
            named[kind].add(value if kind == "region" else UUID(value))
        portal = bool(PORTAL_ROLES & set(principal.roles))
        return cls(everything=not principal.scopes and not portal, hospitals=frozenset(named["hospital"]),
                   distributors=frozenset(named["distributor"]), regions=frozenset(named["region"]))

    def covers(self, *, hospitals: Iterable[UUID | None] = (), distributors: Iterable[UUID | None] = (),
               regions: Iterable[str | None] = ()) -> bool:
        """Whether an object that belongs to these hospitals, distributors and provinces is within the scope."""
        if self.everything:
            return True
        return bool(self.hospitals & set(hospitals) or self.distributors & set(distributors)
                    or self.regions & set(regions))

    def require(self, what: str, key: object, **belongs_to: Iterable[Any]) -> None:
        """Refuse (404, as if it did not exist) an object outside the scope."""
        if not self.covers(**belongs_to):
            raise outside_scope(what, key)

    def require_to_create(self, what: str, **belongs_to: Iterable[Any]) -> None:
        """Refuse (403) creating an object the caller could not then reach: a regional user registers customers of
        its own provinces only. Nothing exists to hide yet, so the refusal says why."""
        if not self.covers(**belongs_to):
            raise Problem(403, "Forbidden", f"this {what.lower()} would be outside your data scope",
                          rule="within-scope")

    def condition(self, *, hospital: str | None = None, distributor: str | None = None,
                  region: str | None = None) -> dict[str, object]:
        """The SQL condition narrowing a list to the scope, for `ReadModels.page`'s `where` (no condition for
        everything): the columns that hold the row's hospital, distributor and province."""
        if self.everything:
            return {}
        terms, args = [], []
        for column, values in ((hospital, self.hospitals), (distributor, self.distributors), (region, self.regions)):
            if column is not None and values:
                terms.append(f"{column} = ANY(%s)")
                args.append(sorted(values))
        if not terms:
            return {"false": Several()}
        return {"(" + " OR ".join(terms) + ")": Several(args)}


EVERYTHING = DataScope(everything=True)


def outside_scope(what: str, key: object) -> Problem:
    """The 404 of an object outside the caller's scope: the same answer as for one that does not exist, marked
    (not in the body) so that the access log counts it as a denial."""
    problem = Problem(404, f"{what} not found", f"no {what.lower()} with id {key}")
    problem.denial = "outside-scope"
    return problem


def forbidden(principal: Principal, permission: str) -> Problem:
    problem = Problem(403, "Forbidden", f"this needs the permission {permission!r}, which none of your roles"
                      f" {principal.roles} grants", required_permission=permission)
    problem.denial = "missing-permission"
    return problem


@dataclass(frozen=True)
class Access:
    """What a permitted route knows of its caller: who, and which data it reaches."""

    principal: Principal
    scope: DataScope


def permission_check(permission: str, scope: str) -> Any:
    """The dependency that lets through only callers whose roles grant `permission` (403 otherwise)."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}: add it to shared/platform/permissions.py")
    if scope not in SCOPE_KINDS:
        raise ValueError(f"unknown data scope {scope!r}: one of {sorted(SCOPE_KINDS)}")

    def check(principal: CurrentPrincipal) -> Access:
        if permission not in permissions_of(principal.roles):
            raise forbidden(principal, permission)
        return Access(principal, DataScope.of(principal))

    check.permission, check.data_scope = permission, scope  # read by declared_access() and the OpenAPI document
    return check


def permitted(permission: str, *, scope: str) -> Any:
    """A route parameter type: `access: permitted("order:read", scope="order")`."""
    return Annotated[Access, Depends(permission_check(permission, scope))]


def declared_access(route: Any) -> tuple[str, str] | None:
    """The (permission, data scope) a route declares, found among its dependencies; None if it declares none."""
    pending = list(getattr(route, "dependant", None).dependencies) if hasattr(route, "dependant") else []
    while pending:
        dependant = pending.pop()
        call = dependant.call
        if hasattr(call, "permission"):
            return call.permission, call.data_scope
        pending.extend(dependant.dependencies)
    return None
