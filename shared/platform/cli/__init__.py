"""The `erp` command line for the people who run the system: ops and auditors.

Each command group lives in its own module here and is added to `app` below.
"""

from datetime import timedelta

import typer

from shared.platform.auth import SCOPE_FORM, issue_token

app = typer.Typer(help="Operate the medical-device ERP.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Settings come from the environment (DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS, ...), as for the services.

    Without DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS it uses the local servers `make run` starts, on the ports
    PGPORT_LOCAL and KAFKA_PORT name (15432 and 19092 unless set).
    """


@app.command()
def token(name: str = typer.Argument(..., help="who the token is for, e.g. alice"),
          role: list[str] = typer.Option(["order_desk"], "--role", help="role(s) to carry; repeatable"),
          scope: list[str] = typer.Option([], "--scope",
                                          help="data scope(s), e.g. distributor:<uuid> or region:<province>; repeatable"),
          hours: int = typer.Option(12, min=1, max=24 * 30, help="how long it stays valid")) -> None:
    """Print a local bearer token signed with JWT_SECRET (the local key unless set); production refuses these."""
    for each in scope:  # refused here rather than by every service the token is sent to
        if not SCOPE_FORM.match(each):
            raise typer.BadParameter(f"{each!r} is not distributor:<uuid>, hospital:<uuid> or region:<province>",
                                     param_hint="--scope")
    typer.echo(issue_token(name, role, valid_for=timedelta(hours=hours), scopes=scope))


from shared.platform.cli import audit, deadletters, events, imports, projections, relay  # noqa: E402 - the groups import the app's settings lazily

app.add_typer(audit.app, name="audit")
app.add_typer(events.app, name="events")
app.add_typer(relay.app, name="relay")
app.add_typer(deadletters.app, name="deadletters")
app.add_typer(projections.app, name="projections")
app.command("import")(imports.import_command)
app.command("import-kinds")(imports.kinds_command)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
