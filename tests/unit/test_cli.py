from typer.testing import CliRunner

from shared.platform.cli import app
from shared.platform.auth import verify_token
from shared.platform.settings import Settings


def test_erp_token_prints_a_token_for_the_named_person_and_roles():
    result = CliRunner().invoke(app, ["token", "alice", "--role", "recall_officer", "--role", "auditor"])
    assert result.exit_code == 0, result.output
    principal = verify_token(result.output.strip(), Settings())
    assert (principal.actor, principal.roles) == ("user:alice", ["recall_officer", "auditor"])
