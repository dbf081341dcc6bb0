"""`erp relay status`: per service, how far the relay has published against the newest stored event."""

import psycopg
import typer
from psycopg import sql

from shared.platform.audit import events_table
from shared.platform.settings import SERVICES, Settings, get_settings

app = typer.Typer(help="Watch the outbox relays.", no_args_is_help=True)


def relay_status(settings: Settings, service: str) -> tuple[int, int]:
    """(newest stored position, position published to Kafka) of a service; 0 where there is nothing yet."""
    schema = sql.Identifier(settings.schema_for(service))
    with psycopg.connect(settings.database_url) as conn:
        try:
            newest = conn.execute(sql.SQL("SELECT coalesce(max(notification_id), 0) FROM {}.{}").format(
                schema, sql.Identifier(events_table(service)))).fetchone()[0]
            row = conn.execute(sql.SQL("SELECT position FROM {}.relay_positions WHERE topic = %s").format(schema),
                               (settings.topic_for(service),)).fetchone()
        except psycopg.errors.UndefinedTable:
            return 0, 0
    return newest, row[0] if row else 0


@app.command("status")
def status() -> None:
    """Newest stored event, last published event and the difference, per service."""
    settings = get_settings()
    typer.echo(f"{'service':<14}{'stored':>10}{'published':>12}{'behind':>9}")
    for service in SERVICES:
        newest, published = relay_status(settings, service)
        typer.echo(f"{service:<14}{newest:>10}{published:>12}{newest - published:>9}")
