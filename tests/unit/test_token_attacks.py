"""Bearer tokens: the identity provider's (OIDC, checked against a JWKS this test serves) and local ones, and every
forged or broken token an attacker could send, which must each be a 401 and never a 500."""

import time
from collections.abc import Iterator

import jwt
import pytest

from shared.platform import oidc
from shared.platform.auth import issue_token, verify_token
from shared.platform.problems import Problem
from shared.platform.settings import Settings
from tests.oidc_provider import ATTACKS, AUDIENCE, DISTRIBUTOR, FakeProvider


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    provider = FakeProvider()
    yield provider
    provider.close()


@pytest.fixture
def fresh_provider() -> Iterator[FakeProvider]:
    """A provider of its own, so the JWKS cache (one per URL) starts empty and its fetches can be counted."""
    provider = FakeProvider()
    yield provider
    provider.close()


def refused(token: str, settings: Settings, status: int = 401) -> Problem:
    with pytest.raises(Problem) as raised:
        verify_token(token, settings)
    assert raised.value.status == status, raised.value.detail
    return raised.value


def test_a_provider_token_maps_to_roles_scopes_and_name(provider):
    principal = verify_token(provider.token(provider.claims(sub="u-1")), provider.settings())
    assert principal.subject == "u-1"
    assert principal.name == "Dora Distributor"
    # Keycloak's own roles pass until permissions.py filters them (oidc.our_roles).
    assert "distributor_user" in principal.roles
    assert principal.scopes == [DISTRIBUTOR]


def test_es256_tokens_are_accepted_too(provider):
    principal = verify_token(provider.token(kid="ec-1"), provider.settings())
    assert principal.scopes == [DISTRIBUTOR]


def test_the_name_falls_back_to_the_username_then_the_subject(provider):
    settings = provider.settings()
    assert verify_token(provider.token(provider.claims(name=None)), settings).name == "dora"
    nameless = provider.claims(name=None, preferred_username=None, sub="s")
    assert verify_token(provider.token(nameless), settings).name == "s"


def test_data_scopes_come_only_from_the_provider_claim_never_from_the_oauth_scope(provider):
    # `scope` is what the client asked for: a client asking for a distributor's data must not get it.
    token = provider.token(provider.claims(scope=f"openid {DISTRIBUTOR}", erp_scopes=None))
    assert verify_token(token, provider.settings()).scopes == []


def test_missing_roles_and_scopes_claims_mean_none(provider):
    principal = verify_token(provider.token(provider.claims(realm_access=None, erp_scopes=None)), provider.settings())
    assert (principal.roles, principal.scopes) == ([], [])


def test_the_claim_paths_are_settings(provider):
    claims = provider.claims(realm_access=None, erp_scopes=None, groups={"erp": ["auditor"]}, data=[DISTRIBUTOR])
    settings = provider.settings(OIDC_ROLES_CLAIM="groups.erp", OIDC_SCOPES_CLAIM="data")
    principal = verify_token(provider.token(claims), settings)
    assert (principal.roles, principal.scopes) == (["auditor"], [DISTRIBUTOR])


def test_clock_skew_within_the_leeway_is_tolerated(provider):
    now = int(time.time())
    token = provider.token(provider.claims(iat=now + 10, nbf=now + 10, exp=now - 10))
    assert verify_token(token, provider.settings(OIDC_LEEWAY_SECONDS="30")).subject
    refused(token, provider.settings(OIDC_LEEWAY_SECONDS="0"))


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_bad_token_is_a_401(provider, attack):
    problem = refused(ATTACKS[attack](provider), provider.settings())
    assert problem.title == "Not authenticated"
    assert problem.headers == {"WWW-Authenticate": "Bearer"}


def test_an_expired_token_says_so(provider):
    assert "expired" in refused(ATTACKS["expired"](provider), provider.settings()).detail


def test_a_provider_token_is_refused_when_no_provider_or_audience_is_configured(provider):
    assert "OIDC_ISSUER" in refused(provider.token(), Settings(ERP_ENV="test")).detail
    no_audience = Settings(ERP_ENV="test", OIDC_ISSUER=provider.issuer)
    assert "OIDC_AUDIENCE" in refused(provider.token(), no_audience).detail


def test_the_audience_must_be_ours_even_among_several(provider):
    token = provider.token(provider.claims(aud=["account", "other-app"]))
    assert "audience" in refused(token, provider.settings()).detail.lower()


# ---------------------------------------------------------------- local tokens


def test_local_tokens_still_work_outside_production(provider):
    settings = provider.settings()
    principal = verify_token(issue_token("alice", ["order_desk"], settings, scopes=[DISTRIBUTOR]), settings)
    assert (principal.subject, principal.roles, principal.scopes) == ("alice", ["order_desk"], [DISTRIBUTOR])


def test_local_tokens_are_refused_in_production(provider):
    production = provider.settings(ERP_ENV="production", JWT_SECRET="a-real-production-secret-of-32-chars-or-more",
                                   AUDIT_SIGNING_KEY="cHJvZHVjdGlvbi1hdWRpdC1rZXktMzItYnl0ZXMhISE=")
    problem = refused(issue_token("alice", ["admin"], production), production)
    assert "production" in problem.detail
    # The provider's tokens are what production accepts.
    assert verify_token(provider.token(), production).roles


# ---------------------------------------------------------------- the key set


def test_keys_are_fetched_once_and_cached(fresh_provider):
    settings = fresh_provider.settings()
    for _ in range(5):
        verify_token(fresh_provider.token(), settings)
        verify_token(fresh_provider.token(kid="ec-1"), settings)
    assert fresh_provider.requests == 1


def test_random_kids_cannot_make_us_hammer_the_provider(fresh_provider):
    settings = fresh_provider.settings()
    verify_token(fresh_provider.token(), settings)
    for i in range(50):
        refused(fresh_provider.token(kid=f"random-{i}", key=fresh_provider.keys["rsa-1"]), settings)
    # The first unknown kid may not fetch either: the key set was fetched a moment ago.
    assert fresh_provider.requests == 1


def test_a_rotated_key_is_fetched_when_its_first_token_arrives(fresh_provider):
    # A refetch interval long enough that the last lookup below is "too soon" even on a loaded machine.
    jwks = oidc.Jwks(oidc.jwks_url(fresh_provider.settings()), min_refetch_seconds=2)
    assert jwks.key("rsa-1")
    fresh_provider.keys["rsa-2"] = fresh_provider.keys.pop("rsa-1")
    time.sleep(2.05)
    assert jwks.key("rsa-2")
    assert fresh_provider.requests == 2
    with pytest.raises(jwt.InvalidTokenError):
        jwks.key("rsa-1")  # withdrawn, and this lookup comes too soon after the last fetch to fetch again
    assert fresh_provider.requests == 2


def test_an_unreachable_provider_is_a_503_not_a_500(fresh_provider):
    fresh_provider.failing = True
    problem = refused(fresh_provider.token(), fresh_provider.settings(), status=503)
    assert problem.headers["Retry-After"]
    # Nothing listening at all: the same.
    nowhere = fresh_provider.settings(OIDC_JWKS_URL="http://127.0.0.1:9/certs")
    refused(fresh_provider.token(), nowhere, status=503)


def test_known_keys_outlive_a_provider_outage(fresh_provider):
    jwks = oidc.Jwks(oidc.jwks_url(fresh_provider.settings()), min_refetch_seconds=0, max_age_seconds=0)
    assert jwks.key("rsa-1")
    fresh_provider.failing = True
    assert jwks.key("rsa-1")  # stale and the refetch failed: still the key we had
    with pytest.raises(oidc.ProviderUnavailable):
        jwks.key("rsa-2")  # a kid we cannot rule out without the provider


def test_a_jwks_that_is_not_a_key_set_counts_as_unavailable(fresh_provider):
    jwks = oidc.Jwks(fresh_provider.issuer + "/not-the-certs")  # answers 500 with {}
    with pytest.raises(oidc.ProviderUnavailable):
        jwks.key("rsa-1")


def test_the_audience_we_check_is_the_configured_one(provider):
    assert provider.settings().oidc_audience == AUDIENCE


def test_erp_token_carries_scopes_and_refuses_malformed_ones(provider):
    from typer.testing import CliRunner

    from shared.platform.cli import app

    minted = CliRunner().invoke(app, ["token", "dora", "--role", "distributor_user", "--scope", DISTRIBUTOR])
    assert minted.exit_code == 0, minted.output
    assert verify_token(minted.output.strip(), provider.settings()).scopes == [DISTRIBUTOR]
    assert CliRunner().invoke(app, ["token", "dora", "--scope", "distributor:acme"]).exit_code != 0
