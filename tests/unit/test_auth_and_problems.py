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
