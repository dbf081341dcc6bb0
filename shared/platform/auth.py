"""Identity: every API call carries a bearer JWT, verified here once for all services.

Tokens are signed with HS256 and a shared secret (JWT_SECRET); `erp token NAME --role ROLE`
prints one for local use. The verified subject becomes the actor recorded on every event.
"""

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError, field_validator

from shared.platform.problems import Problem
from shared.platform.settings import Settings, get_settings

ALGORITHM = "HS256"
SCOPE_FORM = re.compile(r"^(?:(?:distributor|hospital):[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}|region:[^\s:]{1,40})$")


class Principal(BaseModel):
    """Who is calling: the subject recorded as actor, the roles that grant permissions (shared/platform/
    permissions.py) and the data scopes that narrow what those permissions reach (`distributor:<id>`,
    `hospital:<id>`, `region:<province>`; none means the whole company's data for staff roles)."""

    subject: str
    name: str
    roles: list[str]
    scopes: list[str] = []

    @field_validator("scopes")
    @classmethod
    def _known_scope_forms(cls, scopes: list[str]) -> list[str]:
        # Refused rather than skipped: a staff member whose only (malformed) region scope were dropped would be
        # left unscoped, which means the whole company's data.
        for scope in scopes:
            if not SCOPE_FORM.match(scope):
                raise ValueError(f"scope {scope!r} is not distributor:<uuid>, hospital:<uuid> or region:<province>")
        return scopes

    @property
    def actor(self) -> str:
        return f"user:{self.subject}"


def issue_token(subject: str, roles: list[str], settings: Settings | None = None, *, name: str | None = None,
                valid_for: timedelta = timedelta(hours=12), scopes: list[str] | None = None) -> str:
    settings = settings or get_settings()
    now = datetime.now(UTC)
    claims = {
        "sub": subject,
        "name": name or subject,
        "roles": roles,
        "scopes": scopes or [],
        "iss": settings.jwt_issuer,
        "iat": now,
        "exp": now + valid_for,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


def verify_token(token: str, settings: Settings) -> Principal:
    try:
        claims = jwt.decode(
            token, settings.jwt_secret, algorithms=[ALGORITHM], issuer=settings.jwt_issuer,
            options={"require": ["sub", "exp", "iss"]},
        )
    except jwt.ExpiredSignatureError as e:
        raise _unauthorized("the bearer token has expired") from e
    except jwt.InvalidTokenError as e:
        raise _unauthorized(f"the bearer token is not valid: {e}") from e
    roles = claims.get("roles", [])
    # A string would be iterated letter by letter and a dict by its keys: either could grant a role by accident.
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise _unauthorized("the bearer token is not valid: its roles claim must be a list of strings")
    subject, name = claims["sub"], claims.get("name", claims["sub"])
    if not isinstance(subject, str) or not isinstance(name, str):
        raise _unauthorized("the bearer token is not valid: sub and name must be strings")
    scopes = claims.get("scopes", [])
    if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
        raise _unauthorized("the bearer token is not valid: its scopes claim must be a list of strings")
    try:
        return Principal(subject=subject, name=name, roles=roles, scopes=scopes)
    except ValidationError as e:
        raise _unauthorized(f"the bearer token is not valid: {e.errors()[0]['msg']}") from e


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "Not authenticated", detail, headers={"WWW-Authenticate": "Bearer"})


_bearer = HTTPBearer(auto_error=False, description="JWT from `erp token NAME --role ROLE`")


def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("send 'Authorization: Bearer <token>'")
    principal = verify_token(credentials.credentials, get_settings())
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


# The roles a command may need until per-action permissions and data scopes exist (a later step): each command
# needs the role of the people who do it, so that a signed-in person cannot do another team's work.
ORDER_DESK, WAREHOUSE, QUALITY, MASTER_DATA = "order_desk", "warehouse", "quality", "master_data"
CHANNEL_MANAGER, RECALL_OFFICER, AUDITOR = "channel_manager", "recall_officer", "auditor"


def check_roles(principal: Principal, roles: tuple[str, ...]) -> Principal:
    if not set(roles) & set(principal.roles):
        needed = " or ".join(repr(role) for role in roles)
        raise Problem(403, "Forbidden", f"this needs the role {needed}; your token carries {principal.roles}",
                      required_roles=list(roles))
    return principal


def require_role(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency that lets through only principals carrying one of `roles` (403 otherwise)."""

    def check(principal: CurrentPrincipal) -> Principal:
        return check_roles(principal, roles)

    return check
