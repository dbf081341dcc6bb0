"""`erp deadletters`: events a consumer could not apply and set aside (see shared/platform/deadletters.py).

    erp deadletters list [SERVICE] [--status open|retried|skipped|all]
    erp deadletters retry ID                            apply it again now, through the same consumer
    erp deadletters skip ID --reason TEXT --actor NAME  propose giving up on it, recorded in the service's log
    erp deadletters approve ID --actor NAME             a second operator approves the skip (four eyes)
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import NoReturn
from uuid import UUID

import psycopg
import typer
from psycopg.rows import dict_row

from shared.platform import deadletters
from shared.platform.consumer import Delivery, Handler, ProcessManager
from shared.domain.rules import RuleViolation
from shared.platform.deadletters import DeadLetter, NoProposalError, NotOpenError
from shared.platform.eventstore import ServiceApplication
from shared.platform.registry import definition
from shared.platform.settings import SERVICES, Settings, get_settings

app = typer.Typer(help="Events a consumer could not apply: list, retry or skip them.", no_args_is_help=True)


class Status(str, Enum):
    open = "open"
    retried = "retried"
    skipped = "skipped"
    all = "all"


@app.command("list")
def list_command(service: str | None = typer.Argument(None, help=f"one of {', '.join(SERVICES)}; all if omitted"),
                 status: Status = typer.Option(Status.open, help="which to show")) -> None:
    """List dead letters, oldest first, with the error that set each aside."""
    settings = get_settings()
    if service is not None and service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    shown = 0
    for name, letter in _letters(settings, [service] if service else list(SERVICES)):
        if status is Status.all or letter.status == status.value:
            typer.echo(_describe(name, letter))
            shown += 1
    if not shown:
        typer.echo(f"no {'' if status is Status.all else status.value + ' '}dead letters")


@app.command()
def retry(letter_id: UUID = typer.Argument(..., help="the dead letter's id, as `erp deadletters list` shows it")) -> None:
    """Apply a dead letter again now (once its cause is fixed), through the consumer that set it aside."""
    settings = get_settings()
    service, letter = _find(settings, letter_id)
    envelope = letter.decoded()
    if envelope is None:
        _fail(f"dead letter {letter.id} is not an envelope, so nothing can apply it: skip it")
    delivery = Delivery(letter.topic, letter.partition, letter.kafka_offset, envelope)
    with _handlers(settings, service) as handlers:
        handler = next((h for h in handlers if h.name == letter.consumer), None)
        if handler is None:
            _fail(f"the {service} worker has no consumer {letter.consumer!r}")
        try:
            # Marked 'retried' in the transaction of the effect: both happen, or neither.
            handler.reapply(delivery, lambda cur: deadletters.mark_retried(cur, handler.schema, letter.id))
        except NotOpenError as error:
            _fail(str(error))
        except Exception as error:  # noqa: BLE001 - reported to the operator; the letter stays open
            with handler.pool.connection() as conn, conn.cursor() as cur:
                deadletters.record_failed_retry(cur, handler.schema, letter.id, error)
            _fail(f"dead letter {letter.id} still fails and stays open: {deadletters.describe(error)}")
    typer.echo(f"retried {letter.id}: {letter.consumer} applied {letter.event_type} {letter.event_id}")


@app.command()
def skip(letter_id: UUID = typer.Argument(..., help="the dead letter's id, as `erp deadletters list` shows it"),
         reason: str = typer.Option(..., "--reason", help="why it is never to be applied (kept in the audit trail)"),
         actor: str = typer.Option(..., "--actor", help="who proposes it, e.g. alice")) -> None:
    """Propose giving up on a dead letter, with why: recorded as an event in the service's own log. A second
    operator approves it (`erp deadletters approve`); until then the letter stays open and may be retried."""
    if not reason.strip():
        raise typer.BadParameter("say why it is skipped", param_hint="--reason")
    person = _person(actor)
    settings = get_settings()
    service, letter = _find(settings, letter_id)
    application = _application(settings, service)
    try:
        deadletters.propose_skip(application, letter.id, reason.strip(), person)
    except NotOpenError as error:
        _fail(str(error))
    finally:
        application.close()
    typer.echo(f"proposed skipping {letter.id} as {person}; a second operator approves it with"
               f" `erp deadletters approve {letter.id} --actor NAME`")


@app.command()
def approve(letter_id: UUID = typer.Argument(..., help="the dead letter's id, as `erp deadletters list` shows it"),
            actor: str = typer.Option(..., "--actor", help="who approves it: not who proposed it, e.g. bob")) -> None:
    """Approve a proposed skip (four eyes): the letter is given up on, recorded with both people and the reason."""
    person = _person(actor)
    settings = get_settings()
    service, letter = _find(settings, letter_id)
    application = _application(settings, service)
    try:
        deadletters.skip(application, letter.id, person)
    except (NotOpenError, NoProposalError) as error:
        _fail(str(error))
    except RuleViolation as refused:
        _fail(refused.detail)
    finally:
        application.close()
    typer.echo(f"skipped {letter.id}, approved by {person}; recorded in the {service} log")


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def _person(actor: str) -> str:
    name = actor.removeprefix("user:")
    if not re.fullmatch(r"[\w.@-]+", name):
        raise typer.BadParameter("a person's name, e.g. alice", param_hint="--actor")
    return f"user:{name}"


def _letters(settings: Settings, services: list[str]) -> Iterator[tuple[str, DeadLetter]]:
    with psycopg.connect(settings.database_url, row_factory=dict_row) as conn, conn.cursor() as cur:
        for service in services:
            schema = settings.schema_for(service)
            if deadletters.table_exists(cur, schema):  # none until the service's worker first ran
                yield from ((service, letter) for letter in deadletters.select(cur, schema))


def _find(settings: Settings, letter_id: UUID) -> tuple[str, DeadLetter]:
    """The service and the dead letter with this id, which must be open."""
    found = next(((s, letter) for s, letter in list(_letters(settings, list(SERVICES))) if letter.id == letter_id), None)
    if found is None:
        _fail(f"no dead letter {letter_id}")
    if found[1].status != "open":
        _fail(f"dead letter {letter_id} is {found[1].status} already")
    return found


def _describe(service: str, letter: DeadLetter) -> str:
    what = f"{letter.event_type} {letter.event_id}" if letter.event_id else "not an envelope"
    lines = [f"{letter.id}  {letter.status}  {service}/{letter.consumer}  {letter.topic}[{letter.partition}]"
             f"@{letter.kafka_offset}  {what}  attempts={letter.attempts}  {letter.recorded_at:%Y-%m-%d %H:%M:%S %Z}",
             f"    error: {letter.error.splitlines()[-1] if letter.error else ''}"]
    if letter.status != "open":
        lines.append(f"    {letter.status} {letter.resolved_at:%Y-%m-%d %H:%M:%S %Z}"
                     + (f" by {letter.resolved_by}: {letter.reason}" if letter.resolved_by else ""))
    return "\n".join(lines)


@contextmanager
def _handlers(settings: Settings, service: str) -> Iterator[list[Handler]]:
    """The service's consumers, as its worker builds them."""
    handlers: list[Handler] = definition(service).consumers(settings)
    try:
        yield handlers
    finally:
        for handler in handlers:
            if isinstance(handler, ProcessManager):
                handler.app.close()
        for pool in {id(h.pool): h.pool for h in handlers}.values():
            pool.close()


def _application(settings: Settings, service: str) -> ServiceApplication:
    return definition(service).new_application(settings)
