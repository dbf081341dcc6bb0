"""`erp audit`: what an auditor runs to check that no stored event was changed, removed or reordered."""

import asyncio

import typer

from shared.platform.audit import Verdict, public_key_b64
from shared.platform.audit_verification import checkpoints_of, verify_log
from shared.platform.settings import SERVICES, Settings, get_settings

app = typer.Typer(help="Verify the tamper-evident event logs.", no_args_is_help=True)


def verify_service(settings: Settings, service: str, public_key: str | None = None) -> Verdict:
    return verify_log(settings, service, asyncio.run(checkpoints_of(settings, service)), public_key)


@app.command("verify")
def verify_command(service: str | None = typer.Argument(None, help=f"one of {', '.join(SERVICES)}; all if omitted"),
                   public_key: str | None = typer.Option(None, help="base64 Ed25519 public key of the checkpoints;"
                                                                     " derived from AUDIT_SIGNING_KEY if omitted")) -> None:
    """Recompute each service's hash chain and check it against the signed checkpoints."""
    settings = get_settings()
    if service is not None and service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    broken = False
    for name in [service] if service else SERVICES:
        verdict = verify_service(settings, name, public_key)
        typer.echo(f"{name}: {verdict}")
        broken = broken or not verdict.intact
    raise typer.Exit(1 if broken else 0)


@app.command("public-key")
def public_key_command() -> None:
    """Print the public key auditors verify checkpoints with (derived from AUDIT_SIGNING_KEY)."""
    typer.echo(public_key_b64(get_settings().audit_signing_key))
