"""Identity: every API call carries a bearer JWT, verified here once for all services.

Tokens are signed with HS256 and a shared secret (JWT_SECRET); `erp token NAME --role ROLE`
prints one for local use. The verified subject becomes the actor recorded on every event.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from shared.platform.problems import Problem
from shared.platform.settings import Settings, get_settings

ALGORITHM = "HS256"


class Principal(BaseModel):
    subject: str
    name: str
    roles: list[str]

    @property
    def actor(self) -> str:
        return f"user:{self.subject}"


def issue_token(subject: str, roles: list[str], settings: Settings | None = None, *, name: str | None = None,
                valid_for: timedelta = timedelta(hours=12)) -> str:
    settings = settings or get_settings()
    now = datetime.now(UTC)
    claims = {
        "sub": subject,
        "name": name or subject,
        "roles": roles,
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
    return Principal(subject=claims["sub"], name=claims.get("name", claims["sub"]), roles=list(claims.get("roles", [])))


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


def require_role(role: str) -> Callable[[Principal], Principal]:
    """A dependency that lets through only principals carrying `role` (403 otherwise)."""

    def check(principal: CurrentPrincipal) -> Principal:
        if role not in principal.roles:
            raise Problem(403, "Forbidden", f"this needs the role {role!r}; your token carries {principal.roles}")
        return principal

    return check
