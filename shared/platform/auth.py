"""Identity: every API call carries a bearer JWT, verified here once for all services.

Two kinds of token are accepted (README "Identity provider"):
- the company's identity provider's access tokens (OIDC, RS256/ES256 checked against its JWKS: oidc.py), when
  OIDC_ISSUER and OIDC_AUDIENCE are set;
- local tokens, HS256 with a shared secret (JWT_SECRET), which `erp token NAME --role ROLE` prints: trusted only
  when ERP_ENV is not production.
The verified subject becomes the actor recorded on every event.
"""

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError, field_validator

from shared.platform import oidc
from shared.platform.problems import Problem
from shared.platform.settings import Settings, get_settings

ALGORITHM = "HS256"  # of local tokens
# Far above any real token (Keycloak's are 1-3 KB), and checked before anything is decoded.
MAX_TOKEN_CHARS = 16_384
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
    """The principal a bearer token proves, or a 401 Problem (503 while the identity provider's keys cannot be
    fetched). The header's `alg` picks the path, and each path calls PyJWT with that one algorithm only: an HS256
    token is only ever checked with JWT_SECRET, an RS256/ES256 one only with the provider's key of that type."""
    try:
        header = _unverified_header(token)
        alg = header["alg"]
        if alg == ALGORITHM:
            fields = _local_fields(token, settings)
        elif alg in oidc.KEY_TYPES:
            fields = oidc.principal_fields(oidc.verified_claims(token, header, settings), settings)
        else:
            raise jwt.InvalidAlgorithmError(f"tokens signed with {alg!r} are not accepted")
    except jwt.ExpiredSignatureError as e:
        raise _unauthorized("the bearer token has expired") from e
    except jwt.InvalidTokenError as e:
        raise _unauthorized(f"the bearer token is not valid: {e}") from e
    except oidc.ProviderUnavailable as e:
        raise Problem(503, "Identity provider unavailable", f"{e}; try again shortly",
                      headers={"Retry-After": str(int(oidc.MIN_REFETCH_SECONDS))}) from e
    if not isinstance(fields["subject"], str) or not isinstance(fields["name"], str):
        raise _unauthorized("the bearer token is not valid: sub and name must be strings")
    try:
        return Principal(**fields)
    except ValidationError as e:
        raise _unauthorized(f"the bearer token is not valid: {e.errors()[0]['msg']}") from e


def _unverified_header(token: str) -> dict:
    if len(token) > MAX_TOKEN_CHARS:
        raise jwt.DecodeError(f"the token is longer than {MAX_TOKEN_CHARS} characters")
    header = jwt.get_unverified_header(token)
    if not isinstance(header.get("alg"), str):
        raise jwt.DecodeError("the token's header names no algorithm")
    return header


def _local_fields(token: str, settings: Settings) -> dict:
    # Anyone holding JWT_SECRET can mint any role: in production only the identity provider vouches for people.
    if settings.environment == "production":
        raise jwt.InvalidTokenError("local (HS256) tokens are not accepted in production; sign in with the "
                                    "identity provider")
    claims = jwt.decode(
        token, settings.jwt_secret, algorithms=[ALGORITHM], issuer=settings.jwt_issuer,
        options={"require": ["sub", "exp", "iss"]},
    )
    return {
        "subject": claims["sub"],
        "name": claims.get("name", claims["sub"]),
        "roles": oidc.string_list(claims, "roles"),
        "scopes": oidc.string_list(claims, "scopes"),
    }


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "Not authenticated", detail, headers={"WWW-Authenticate": "Bearer"})


_bearer = HTTPBearer(auto_error=False, description="an access token of the identity provider (OIDC), or outside "
                                                "production a local one from `erp token NAME --role ROLE`")


def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("send 'Authorization: Bearer <token>'")
    principal = verify_token(credentials.credentials, get_settings())
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
