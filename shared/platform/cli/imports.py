"""`erp import KIND FILE [--dry-run] --actor NAME`: import a company's existing records from a CSV or .xlsx file
(shared/platform/imports.py), through the owning service's command handlers, with a progress bar.

It runs in this process against the service's database, as the other `erp` commands do (the service's API need not
be up; its schema must exist), and records `--actor` as the person on every event, with the file's SHA-256 as the
correlation id and the row in the reason. Exit code 1 when a row was refused (a dry run: the file is not ready).
"""

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from shared.domain.workbook import UnreadableFile
from shared.platform.imports import ImportKind, run_import


def _kinds() -> dict[str, tuple[str, ImportKind]]:
    from shared.platform.registry import definitions

    return {kind.name: (definition.name, kind) for definition in definitions() for kind in definition.imports}


def import_command(
        kind: str = typer.Argument(..., help="hospitals, items, suppliers, … (`erp import-kinds` lists them)"),
        file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="CSV or .xlsx"),
        actor: str = typer.Option(..., "--actor", help="who is importing: recorded on every event"),
        dry_run: bool = typer.Option(False, "--dry-run", help="check every row and store nothing"),
        as_json: bool = typer.Option(False, "--json", help="print the report as JSON")) -> None:
    """Import a file of KIND: every row through the owning service's rules; refused rows listed (row, column, rule)."""
    kinds = _kinds()
    if kind not in kinds:
        raise typer.BadParameter(f"unknown kind {kind!r}; one of {', '.join(kinds)}", param_hint="KIND")
    service, import_kind = kinds[kind]
    from shared.platform.db import new_pool
    from shared.platform.registry import definition
    from shared.platform.settings import get_settings

    settings = get_settings()
    owner = definition(service)
    app = owner.new_application(settings)
    pool = new_pool(settings, name=f"{service}-import", prepare=False)
    console = Console(stderr=True)
    try:
        columns = (TextColumn(f"{'checking' if dry_run else 'importing'} {kind}"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn())
        with Progress(*columns, console=console, transient=as_json) as progress:
            task = progress.add_task(kind, total=None)
            report = run_import(import_kind, file.name, file.read_bytes(), actor,
                                lambda deferred: owner.unit_of_work(app, pool, deferred), dry_run=dry_run,
                                progress=lambda done, total: progress.update(task, completed=done, total=total))
    except UnreadableFile as error:
        console.print(f"[red]{file.name} cannot be imported:[/red] {error} ({error.rule})")
        raise typer.Exit(2) from None
    finally:
        app.close()
        pool.close()
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        out = Console()
        out.print(f"{'dry run: ' if dry_run else ''}{report.rows} rows of {kind} from {file.name}"
                  f" (sha256 {report.sha256}): {report.created} created, {report.changed} changed,"
                  f" {report.unchanged} already on record, {report.rows_refused} refused"
                  + ("" if dry_run else f"; events correlated {report.correlation_id}"))
        if report.errors:
            table = Table("row", "column", "rule", "message")
            for e in report.errors:
                table.add_row(str(e.row), e.column or "", e.rule, e.message)
            out.print(table)
    if report.errors:
        raise typer.Exit(1)


def kinds_command() -> None:
    """List what can be imported: each kind, the service that owns it, the permission its API route needs and its
    columns (required ones marked *)."""
    for name, (service, kind) in _kinds().items():
        typer.echo(f"{name} ({service}, {kind.permission}): {kind.description}")
        typer.echo("  " + ", ".join(f"{c.name}{'*' if c.required else ''}" for c in kind.columns))

