"""RFC 9457 problem details: every error a client sees is application/problem+json naming what went wrong."""

from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import IntegrityError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.domain.rules import InvalidReference, NotFound, RuleViolation

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):  # noqa: N818 - it is the RFC's name
    # Why access was denied ("missing-permission", "outside-scope", ...), for the access log; never in the body.
    denial: str | None = None

    def __init__(self, status: int, title: str, detail: str, *, type_: str = "about:blank",
                 headers: dict[str, str] | None = None, **extensions: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.type = status, title, detail, type_
        self.headers = headers or {}
        self.extensions = extensions

    def body(self, instance: str) -> dict[str, Any]:
        return {"type": self.type, "title": self.title, "status": self.status, "detail": self.detail,
                "instance": instance, **self.extensions}


def not_found(what: str, key: object) -> Problem:
    return Problem(404, f"{what} not found", f"no {what.lower()} with id {key}")


def rule_violated(rule: str, detail: str, **extensions: Any) -> Problem:
    return Problem(409, "Business rule violated", detail, type_=f"urn:erp:rule:{rule}", rule=rule, **extensions)


def invalid_field(field: str, rule: str, message: str, detail: str | None = None) -> Problem:
    """A 422 like pydantic's, for input that is well-formed but refers to something unknown."""
    return Problem(422, "Invalid input", f"{field}: {detail or message}",
                   errors=[{"field": field, "rule": rule, "message": message}])


def _response(problem: Problem, request: Request) -> JSONResponse:
    return JSONResponse(problem.body(request.url.path), status_code=problem.status,
                        media_type=PROBLEM_JSON, headers=problem.headers)


def _field_name(loc: tuple) -> str:
    # ("body", "lines", 0, "gtin") -> "lines[0].gtin"; the location kind (body/query/path) is said separately.
    name = ""
    for part in loc[1:]:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or str(loc[0])


def problem_of(violation: RuleViolation) -> Problem:
    """The one answer to a refused rule: 404 for what does not exist, 422 naming the field for an invalid
    reference, else 409."""
    if isinstance(violation, NotFound):
        return not_found(violation.what, violation.context["key"])
    if isinstance(violation, InvalidReference):
        return invalid_field(violation.field or "body", violation.rule, violation.message, violation.detail)
    extensions = {k: str(v) if isinstance(v, UUID) else v for k, v in violation.context.items()}
    if violation.field is not None:
        extensions["field"] = violation.field
    return rule_violated(violation.rule, violation.detail, **extensions)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        if exc.denial is not None:
            request.state.denial = exc.denial  # for the access log (shared/platform/access_log.py)
        return _response(exc, request)

    @app.exception_handler(RuleViolation)
    async def _rule(request: Request, exc: RuleViolation) -> JSONResponse:
        return _response(problem_of(exc), request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_name(tuple(e["loc"])), "in": e["loc"][0], "rule": e["type"], "message": e["msg"]}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return _response(Problem(422, "Invalid input", detail, errors=errors), request)

    @app.exception_handler(IntegrityError)
    async def _conflict(request: Request, exc: IntegrityError) -> JSONResponse:
        # Optimistic concurrency: someone changed the same aggregate first; nothing of this command was stored.
        return _response(Problem(409, "Version conflict", "the record was changed by someone else at the same time;"
                                 " nothing was stored: read it again and retry", type_="urn:erp:version-conflict"), request)

    @app.exception_handler(OperationalError)
    @app.exception_handler(psycopg.OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        return _response(Problem(503, "Service unavailable", "the database cannot be reached; nothing was stored: retry later",
                                 headers={"Retry-After": "2"}), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        return _response(Problem(exc.status_code, title, str(exc.detail)), request)


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, as every error is answered (extension members may follow)."""

    model_config = ConfigDict(extra="allow")
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, str | None]] | None = Field(None, description="per field: field, rule, message, in")
    rule: str | None = None


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {PROBLEM_JSON: {"schema": ProblemDetails.model_json_schema()}}}


# Documented on every business operation: the errors any of them can answer (RFC 9457 problem+json).
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem_response("no or invalid bearer token"),
    403: _problem_response("the token lacks the role this needs"),
    404: _problem_response("nothing with that id, or nothing the caller may see"),
    409: _problem_response("a business rule or a concurrent change refused the command; nothing was stored"),
    413: _problem_response("the request body is larger than the limit (MAX_JSON_BODY_BYTES, MAX_UPLOAD_BODY_BYTES)"),
    422: _problem_response("invalid input: each error names the field and the rule"),
    431: _problem_response("the request headers are larger than 16 KiB in all"),
    503: _problem_response("the database cannot be reached; nothing was stored: retry later"),
}
