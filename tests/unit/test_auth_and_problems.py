from datetime import timedelta

import pytest
from pydantic import ValidationError

from shared.platform.auth import issue_token, verify_token
from shared.platform.problems import Problem, _field_name
from shared.platform.settings import LOCAL_JWT_SECRET, Settings

SETTINGS = Settings(ERP_ENV="test")


def test_a_token_round_trips_to_the_actor():
    principal = verify_token(issue_token("alice", ["order_desk"], SETTINGS), SETTINGS)
    assert (principal.actor, principal.roles) == ("user:alice", ["order_desk"])


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        (issue_token("alice", [], SETTINGS, valid_for=timedelta(seconds=-5)), "expired"),
        (issue_token("alice", [], Settings(JWT_SECRET="another-secret-that-is-long-enough-1234")), "not valid"),
        ("not-a-jwt", "not valid"),
    ],
)
def test_bad_tokens_are_refused_with_401(token, detail):
    with pytest.raises(Problem) as raised:
        verify_token(token, SETTINGS)
    assert raised.value.status == 401
    assert detail in raised.value.detail


def test_production_refuses_the_local_signing_key():
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(ERP_ENV="production", JWT_SECRET=LOCAL_JWT_SECRET)


def test_field_names_in_problems_read_like_paths():
    assert _field_name(("body", "lines", 0, "gtin")) == "lines[0].gtin"
    assert _field_name(("query", "lot")) == "lot"


@pytest.mark.parametrize("roles", ["recall_officer", {"recall_officer": True}, [["quality"]], [1], None])
def test_a_token_whose_roles_claim_is_not_a_list_of_strings_is_refused_with_401(roles):
    # A string would be read letter by letter, a dict by its keys: any of them could grant a role by accident.
    import jwt

    from shared.platform.auth import ALGORITHM

    claims = {"sub": "mallory", "roles": roles, "iss": SETTINGS.jwt_issuer, "exp": 4_102_444_800}
    with pytest.raises(Problem) as raised:
        verify_token(jwt.encode(claims, SETTINGS.jwt_secret, algorithm=ALGORITHM), SETTINGS)
    assert raised.value.status == 401
    assert "roles claim" in raised.value.detail
