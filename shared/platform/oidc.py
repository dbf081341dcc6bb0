"""Access tokens from the company's identity provider (OIDC; Keycloak in development, see scripts/keycloak.sh).

The provider signs with RS256 or ES256 and publishes its public keys as a JWKS. This module checks a token against
those keys and reads the claims we use; auth.verify_token decides which tokens come here and turns every error into
a 401 (or a 503 while the provider cannot be asked for its keys). Nothing here knows about HTTP answers.
"""

import threading
import time
from typing import Any

import httpx
import jwt
from jwt import PyJWK

from shared.platform.permissions import known_roles
from shared.platform.settings import Settings

# The key type each accepted algorithm must be checked with: PyJWT is always called with exactly one of these, so
# a token can never choose to be checked with another family (HS256 with the public key as secret, or `none`).
KEY_TYPES = {"RS256": "RSA", "ES256": "EC"}
# A provider rotating keys makes us fetch again at once for the first token with the new kid; after that, unknown
# kids (an attacker can send any) trigger no fetch until this long has passed.
MIN_REFETCH_SECONDS = 30.0
# Keys are re-read this often anyway, so a key the provider withdrew stops being trusted (once it answers).
MAX_KEY_AGE_SECONDS = 600.0
FETCH_TIMEOUT_SECONDS = 3.0


class ProviderUnavailable(Exception):  # noqa: N818 - a condition, not a bug
    """The provider's keys could not be fetched, so a token signed by it cannot be checked right now."""


class InvalidClaim(jwt.InvalidTokenError):
    """A claim is present but of the wrong type or form."""


def jwks_url(settings: Settings) -> str:
    return settings.oidc_jwks_url or f"{settings.oidc_issuer.rstrip('/')}/protocol/openid-connect/certs"


class Jwks:
    """The provider's signing keys by kid, fetched on first use, on an unknown kid (at most once per
    MIN_REFETCH_SECONDS) and when older than MAX_KEY_AGE_SECONDS. Thread-safe: the API's sync dependencies run
    in a thread pool, and the lock also makes concurrent requests with a new kid wait for one fetch, not make many."""

    def __init__(self, url: str, *, min_refetch_seconds: float = MIN_REFETCH_SECONDS,
                 max_age_seconds: float = MAX_KEY_AGE_SECONDS) -> None:
        self.url = url
        self.min_refetch_seconds, self.max_age_seconds = min_refetch_seconds, max_age_seconds
        self.fetches = 0
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None  # time.monotonic() of the last successful fetch
        self._tried_at: float | None = None  # of the last attempt, successful or not
        self._failure: str | None = None  # why the last attempt failed, None if it succeeded
        self._lock = threading.Lock()

    def key(self, kid: str) -> PyJWK:
        with self._lock:
            now = time.monotonic()
            stale = self._fetched_at is None or now - self._fetched_at > self.max_age_seconds
            may_fetch = self._tried_at is None or now - self._tried_at >= self.min_refetch_seconds
            if (kid not in self._keys or stale) and may_fetch:
                self._fetch(now)
            if kid in self._keys:
                return self._keys[kid]
            if self._failure is not None:
                # Without the current key set we cannot tell a new key from a forged kid: the caller may retry.
                raise ProviderUnavailable(f"the identity provider's keys could not be fetched: {self._failure}")
            raise jwt.InvalidTokenError(f"no key with kid {kid!r} in the identity provider's key set")

    def _fetch(self, now: float) -> None:
        self._tried_at = now
        self.fetches += 1
        try:
            response = httpx.get(self.url, timeout=FETCH_TIMEOUT_SECONDS)
            response.raise_for_status()
            keys = _signing_keys(response.json())
        except (httpx.HTTPError, ValueError) as e:
            # Keys already known stay in use: a provider restart should not sign everyone out.
            self._failure = f"{type(e).__name__}: {e}"
            return
        self._keys, self._fetched_at, self._failure = keys, now, None


def _signing_keys(jwks: Any) -> dict[str, PyJWK]:
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise ValueError("the JWKS is not an object with a list of keys")
    keys = {}
    for jwk in jwks["keys"]:
        # Keycloak also publishes an encryption key (use "enc", RSA-OAEP): never one to verify signatures with.
        if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig" or not isinstance(jwk.get("kid"), str):
            continue
        try:
            keys[jwk["kid"]] = PyJWK(jwk)
        except jwt.PyJWTError:
            continue  # a key type or algorithm we do not accept
    return keys


_key_sets: dict[str, Jwks] = {}
_key_sets_lock = threading.Lock()


def key_set(settings: Settings) -> Jwks:
    """One cache per JWKS URL for the life of the process."""
    url = jwks_url(settings)
    with _key_sets_lock:
        return _key_sets.setdefault(url, Jwks(url))


def verified_claims(token: str, header: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The claims of a provider token whose header (already read, unverified) names RS256 or ES256.

    Raises jwt.InvalidTokenError for anything wrong with the token, ProviderUnavailable if its keys cannot be had.
    """
    if not settings.oidc_issuer:
        raise jwt.InvalidTokenError("no identity provider is configured (OIDC_ISSUER), so only local tokens count")
    if not settings.oidc_audience:
        # Without an audience, any token of the provider (for any of its applications) would be accepted.
        raise jwt.InvalidTokenError("OIDC_AUDIENCE is not configured, so no provider token is accepted")
    alg = header["alg"]
    # Checked before the key set is looked at: a token of some other issuer makes us fetch nothing.
    issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    if issuer != settings.oidc_issuer:
        raise jwt.InvalidIssuerError(f"issuer {issuer!r} is not the identity provider {settings.oidc_issuer!r}")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise jwt.InvalidTokenError("the token names no key (kid)")
    key = key_set(settings).key(kid)
    if key.key_type != KEY_TYPES[alg] or (key.algorithm_name and key.algorithm_name != alg):
        raise jwt.InvalidTokenError(f"key {kid!r} is for {key.algorithm_name}, not {alg}")
    return jwt.decode(
        token, key.key, algorithms=[alg], issuer=settings.oidc_issuer, audience=settings.oidc_audience,
        leeway=settings.oidc_leeway_seconds, options={"require": ["sub", "exp", "iat", "iss", "aud"]},
    )


_MISSING = object()


def claim_at(claims: dict[str, Any], path: str) -> Any:
    """The value at a dotted path ("realm_access.roles"), _MISSING where any step is absent."""
    value: Any = claims
    for step in path.split("."):
        if not isinstance(value, dict) or step not in value:
            return _MISSING
        value = value[step]
    return value


def string_list(claims: dict[str, Any], path: str) -> list[str]:
    """The list of strings at `path`, [] if absent; anything else there (null included) makes the token invalid."""
    value = claim_at(claims, path)
    if value is _MISSING:
        return []
    # A string would be iterated letter by letter and a dict by its keys: either could grant a role by accident.
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidClaim(f"its {path} claim must be a list of strings")
    return value


def our_roles(provider_roles: list[str]) -> list[str]:
    """The one place provider roles become ours: only the names shared/platform/permissions.py defines as roles.
    Keycloak's realm_access.roles also carries its own roles (default-roles-<realm>, offline_access,
    uma_authorization) and whatever else the realm defines."""
    return known_roles(provider_roles)


def principal_fields(claims: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """subject, name, roles and scopes of a verified provider token. Data scopes come only from the claim the
    provider fills from the user's attributes (oidc_scopes_claim), never from the OAuth `scope` claim, which says
    what the client asked for and is not ours to trust for data."""
    name = claims.get("name") or claims.get("preferred_username") or claims["sub"]
    return {
        "subject": claims["sub"],
        "name": name,
        "roles": our_roles(string_list(claims, settings.oidc_roles_claim)),
        "scopes": string_list(claims, settings.oidc_scopes_claim),
    }
