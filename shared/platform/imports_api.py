"""The import routes, the same on every service that owns kinds of records (shared/platform/imports.py):

    POST /imports/{kind}?dry_run=true|false   multipart `file` (CSV or .xlsx): the report, row by row
    GET  /imports/templates/{kind}            the kind's header row (and an example row) as CSV

One route per kind, since each needs its own permission (the one the kind's API commands need: `hospital:register`,
`item:register`, ...) and a route declares one. A service lists `import_router(its kinds)` among its routers.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile

from pydantic import BaseModel, Field

from shared.domain.workbook import UnreadableFile
from shared.platform.access import DataScope, permitted
from shared.platform.api import CallerScope, command_by
from shared.platform.auth import CurrentPrincipal
from shared.platform.imports import ImportKind, ImportRow, RowError, run_import
from shared.platform.permissions import permissions_of
from shared.platform.problems import Problem, invalid_field
from shared.platform.service_state import State

MAX_FILE_BYTES = 16 * 1024 * 1024


class RowProblemOut(BaseModel):
    row: int = Field(description="the spreadsheet's row number (the header is row 1)")
    column: str | None
    rule: str
    message: str


class ImportOut(BaseModel):
    kind: str
    filename: str
    sha256: str = Field(description="the file's SHA-256: the import batch")
    correlation_id: str = Field(description="import:<sha256>, the correlation id of every event the import stored")
    dry_run: bool
    rows: int
    created: int
    changed: int
    unchanged: int = Field(description="records already on record as they are (a re-import); a grouped kind"
                                       " (open orders) counts its records, not its rows")
    rows_refused: int
    errors: list[RowProblemOut]


def import_router(kinds: tuple[ImportKind, ...],
                  scope_checks: dict[str, Callable[[ImportRow, DataScope, Any], None]] | None = None) -> APIRouter:
    """`scope_checks[kind](row, scope, uow)` refuses a row outside the caller's data scope (for kinds not
    company-wide); the unit of work lets it find the record the row names."""
    router = APIRouter(tags=["imports"])
    for kind in kinds:
        _routes(router, kind, (scope_checks or {}).get(kind.name))
    return router


def _routes(router: APIRouter, kind: ImportKind,
            scope_check: Callable[[ImportRow, DataScope, Any], None] | None) -> None:
    ImportCommand = command_by(kind.permission, scope=kind.scope)  # noqa: N806 - a type, as in the routers
    TemplateReader = permitted(kind.permission, scope=kind.scope)  # noqa: N806

    def import_file(meta: ImportCommand, state: State, scope: CallerScope, principal: CurrentPrincipal,
                    file: Annotated[UploadFile, File(description="CSV (UTF-8 or GB18030) or .xlsx; the first row"
                                                                 " names the columns")],
                    dry_run: Annotated[bool, Query(description="validate every row and store nothing")] = False,
                    ) -> ImportOut:
        content = file.file.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            raise invalid_field("file", "max-file-size", f"a file is at most {MAX_FILE_BYTES // 2**20} MB")

        def new_uow(deferred: bool) -> Any:
            return state.definition.unit_of_work(state.application, state.read_models.pool, deferred)

        granted = permissions_of(principal.roles)

        def check(row: ImportRow, uow: Any) -> None:
            needed = kind.row_permission(row) if kind.row_permission is not None else None
            if needed is not None and needed not in granted:
                raise RowError(None, "permission", f"this row also needs the permission `{needed}`")
            if scope_check is not None:
                scope_check(row, scope, uow)
        try:
            report = run_import(kind, file.filename or f"{kind.name}.csv", content, meta.actor, new_uow,
                                dry_run=dry_run, check=check)
        except UnreadableFile as error:
            refused = invalid_field("file", error.rule, str(error))
            if error.status == 413:
                refused = Problem(413, "Content too large", refused.detail, **refused.extensions, rule=error.rule)
            raise refused from None
        return ImportOut(**report.as_dict())

    import_file.__doc__ = (f"Import {kind.name} ({kind.description}) from a file whose columns are the layout of"
                           f" `GET /imports/templates/{kind.name}`. A dry run checks every row through the same"
                           " rules and stores nothing; a real run stores each valid row, its events recording the"
                           " person, the file's SHA-256 (correlation id `import:<sha256>`) and the row (the reason)."
                           " The same file again changes nothing.")
    router.add_api_route(f"/imports/{kind.name}", import_file, methods=["POST"], operation_id=f"import_{kind.name}",
                         response_model=ImportOut)

    def template(_: TemplateReader) -> Response:
        return Response(kind.template_csv(), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{kind.name}-template.csv"'})

    template.__doc__ = f"The {kind.name} layout: its header row, and an example row, as CSV."
    router.add_api_route(f"/imports/templates/{kind.name}", template, methods=["GET"],
                         operation_id=f"import_template_{kind.name}", response_class=Response,
                         responses={200: {"content": {"text/csv": {}}}})
