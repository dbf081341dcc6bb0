"""`erp projections list|rebuild`: how far each read model has got, and rebuilding one from the event log."""

import asyncio
import signal
from dataclasses import dataclass

import psycopg
import typer
from psycopg import sql
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from shared.platform.catalog import CatalogEntry, find, projections
from shared.platform.positions import load_positions
from shared.platform.rebuild import Rebuild, rebuild_in_progress, topic_heads
from shared.platform.settings import Settings, get_settings

app = typer.Typer(help="Read models: their positions and lag, and rebuilding them from the event log.",
                  no_args_is_help=True)


@dataclass(frozen=True)
class PartitionStatus:
    topic: str
    partition: int
    offset: int | None  # the stored Kafka offset of the last event applied; None: nothing applied yet
    source_position: int | None
    head: int  # the end offset: the offset the next event on the partition will get

    @property
    def lag(self) -> int:
        return self.head - (-1 if self.offset is None else self.offset) - 1


@dataclass(frozen=True)
class ProjectionStatus:
    entry: CatalogEntry
    partitions: list[PartitionStatus]
    rebuilding: bool

    @property
    def state(self) -> str:
        if self.rebuilding:
            return "rebuilding"
        if all(p.offset is None for p in self.partitions):
            return "not started"
        return "caught up" if all(p.lag <= 0 for p in self.partitions) else "catching up"


def _stored_positions(conn: psycopg.Connection, entry: CatalogEntry) -> dict[tuple[str, int], tuple[int, int]]:
    exists = conn.execute("SELECT to_regclass(%s)", (sql.Identifier(entry.schema, "consumer_positions").as_string(conn),))
    if exists.fetchone()[0] is None:  # the service has never run here
        return {}
    with conn.cursor() as cur:
        # (-1, 0) is what a rebuild writes for "nothing applied": the same as no row.
        return {k: v for k, v in load_positions(cur, entry.schema, entry.name).items() if v[0] >= 0}


async def statuses(settings: Settings) -> list[ProjectionStatus]:
    entries = projections(settings)
    heads = await topic_heads(settings, tuple(sorted({t for e in entries for t in e.topics})))
    result = []
    with psycopg.connect(settings.database_url) as conn:
        for entry in entries:
            stored = _stored_positions(conn, entry)
            partitions = [
                PartitionStatus(topic, partition, *stored.get((topic, partition), (None, None)), head)
                for (topic, partition), head in sorted(heads.items()) if topic in entry.topics
            ]
            result.append(ProjectionStatus(entry, partitions, rebuild_in_progress(conn, entry)))
    return result


@app.command("list")
def list_projections() -> None:
    """Every projection with its stored position and lag per partition, and its state."""
    table = Table("projection", "service", "schema", "state", "topic", "partition", "offset", "source position",
                  "head", "lag")
    for status in asyncio.run(statuses(get_settings())):
        entry = status.entry
        first = [entry.name, entry.service, entry.schema, status.state]
        if not status.partitions:  # its topics do not exist yet
            table.add_row(*first, ", ".join(entry.topics), "-", "-", "-", "-", "-")
        for n, p in enumerate(status.partitions):
            shown = lambda value: "-" if value is None else str(value)  # noqa: E731
            table.add_row(*(first if n == 0 else [""] * 4), p.topic, str(p.partition), shown(p.offset),
                          shown(p.source_position), str(p.head), str(p.lag))
    Console(width=200).print(table)


@app.command()
def rebuild(name: str | None = typer.Argument(None, help="the projection, e.g. channel-directory (see `list`)"),
            all_: bool = typer.Option(False, "--all", help="rebuild every projection, one after another"),
            batch_size: int = typer.Option(5000, min=1, help="events per transaction")) -> None:
    """Rebuild into new tables while the old ones keep serving, then switch atomically. Ctrl-C stops;
    running it again continues the rebuild where it stopped."""
    if (name is None) == (not all_):
        raise typer.BadParameter("name one projection or give --all")
    settings = get_settings()
    try:
        entries = projections(settings) if all_ else [find(settings, name)]
    except LookupError as error:
        raise typer.BadParameter(str(error)) from None
    for entry in entries:
        if not asyncio.run(_rebuild(entry, settings, batch_size)):
            typer.echo(f"{entry.name}: stopped; run the same command again to continue")
            raise typer.Exit(1)
        typer.echo(f"{entry.name}: switched to the rebuilt tables")


async def _rebuild(entry: CatalogEntry, settings: Settings, batch_size: int) -> bool:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)  # stop between batches: what is applied stays applied
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("events"),
               TimeRemainingColumn())
    try:
        with Progress(*columns) as progress:
            task = progress.add_task(entry.name, total=None)
            on_progress = lambda applied, total: progress.update(task, completed=applied, total=total)  # noqa: E731
            return await Rebuild(entry, settings, batch_size=batch_size, on_progress=on_progress).run(stop)
    finally:
        loop.remove_signal_handler(signal.SIGINT)
