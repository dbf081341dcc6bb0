"""`erp events show|tail`: read a service's immutable event log, as an auditor does."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import typer

from shared.events import CloudEvent
from shared.platform.eventstore import ServiceApplication
from shared.platform.registry import definition
from shared.platform.settings import SERVICES, Settings, get_settings

app = typer.Typer(help="Read the immutable event logs.", no_args_is_help=True)

Service = typer.Argument(..., help=f"one of {', '.join(SERVICES)}")
AsJson = typer.Option(False, "--json", help="print each event as its CloudEvents JSON envelope")


def application_for(service: str, settings: Settings) -> ServiceApplication:
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    return definition(service).new_application(settings)


def envelopes(app_: ServiceApplication, after: int = 0) -> Iterator[CloudEvent]:
    """The log from position `after` + 1 on, decoded into the envelopes the relay publishes."""
    while batch := app_.recorder.select_notifications(start=after + 1, limit=500):
        for notification in batch:
            yield app_.envelope(notification)
        after = batch[-1].id


def line(envelope: CloudEvent, as_json: bool) -> str:
    if as_json:
        return envelope.model_dump_json()
    return (f"{envelope.position:>8}  {envelope.time.isoformat(timespec='seconds')}  {envelope.type:<40} "
            f"{envelope.aggregateid} v{envelope.aggregateversion}  by {envelope.actor}  corr {envelope.correlationid}")


@app.command("show")
def show(service: str = Service,
         aggregate: str | None = typer.Option(None, help="only this aggregate id"),
         event_type: str | None = typer.Option(None, "--type", help="only this type, e.g. erp.order.OrderPlaced"),
         since: datetime | None = typer.Option(None, help="recorded at or after (ISO 8601, UTC if no zone)"),
         until: datetime | None = typer.Option(None, help="recorded before (ISO 8601, UTC if no zone)"),
         correlation: str | None = typer.Option(None, help="only events of this business flow"),
         limit: int = typer.Option(1000, min=1, help="at most this many"),
         as_json: bool = AsJson) -> None:
    """Events of a service in position order, filtered."""
    app_ = application_for(service, get_settings())
    shown = 0
    for envelope in envelopes(app_):
        if shown >= limit:
            break
        if ((aggregate and envelope.aggregateid != aggregate) or (event_type and envelope.type != event_type)
                or (correlation and envelope.correlationid != correlation)
                or (since and envelope.time < _aware(since)) or (until and envelope.time >= _aware(until))):
            continue
        typer.echo(line(envelope, as_json))
        shown += 1


@app.command("tail")
def tail(service: str = Service, count: int = typer.Option(20, "-n", min=1, help="how many of the newest"),
         follow: bool = typer.Option(False, "--follow", "-f", help="keep printing new events"),
         as_json: bool = AsJson) -> None:
    """The newest events of a service; with --follow, new ones as they are stored."""
    app_ = application_for(service, get_settings())
    newest = app_.recorder.max_notification_id() or 0
    after = max(0, newest - count)
    while True:
        for envelope in envelopes(app_, after):
            typer.echo(line(envelope, as_json))
            after = envelope.position
        if not follow:
            return
        time.sleep(1)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
