"""The door every request comes through, before anything parses it (an ASGI middleware):

- a body larger than the limit is refused with 413 as soon as the limit is passed (by its Content-Length, or
  while it streams in): a 250 MB JSON body must not be parsed for half a minute and grow the process by a GB
  while every other request, /health included, waits;
- headers larger than 16 KiB in all are refused with 431;
- a JSON body or a query string holding a control character other than tab and line breaks, or a bidirectional
  control, is refused with 422 naming the field: such characters are stored forever and garble what prints them
  (PostgreSQL cannot even store NUL). Which text may hold tab or line breaks is the field type's decision
  (shared/domain/text.py). The separators a barcode scan carries (GS, RS and EOT of ISO/IEC 15434: a GS1 scan's
  FNC1 arrives as GS) pass here, for the fields that take scans; every text type still refuses them.

Multipart uploads (a spreadsheet is a zip full of control bytes) get the larger upload limit; the route that reads
the file judges what it takes from it.
"""

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from fastapi.responses import JSONResponse

from shared.domain.text import forbidden_character
from shared.platform.problems import PROBLEM_JSON, Problem
from shared.platform.settings import get_settings

MAX_HEADER_BYTES = 16 * 1024

# Anything that could be a forbidden character in raw JSON bytes: escapes of C0/DEL/C1 controls (tab, LF and CR
# are judged by the field), raw DEL and C1, bidirectional controls raw or escaped. A hit is confirmed by parsing,
# since an escaped backslash ("\\u0007") is harmless text.
_SUSPECT_JSON = re.compile(
    rb"\\u000[0-35-9a-fA-F]|\\u001[0-9a-cf-fA-CF]|\\u007[fF]|\\u00[89][0-9a-fA-F]|\\[bf]|\x7f|\xc2[\x80-\x9f]"
    rb"|\\u(061[cC]|200[eEfF]|202[a-eA-E]|206[6-9])|\xd8\x9c|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]"
)


# GS, RS and EOT: the separators of a scanned barcode (ISO/IEC 15434), judged by the field that takes scans.
_SCAN_SEPARATORS = str.maketrans({"\x1d": " ", "\x1e": " ", "\x04": " "})


def _problem(status: int, title: str, detail: str, field: str, rule: str, message: str, **headers: str) -> Problem:
    return Problem(status, title, detail, headers=headers,
                   errors=[{"field": field, "rule": rule, "message": message}])


def too_large(limit: int) -> Problem:
    return _problem(413, "Request body too large", f"the body is larger than {limit} bytes; nothing was read or stored",
                    "body", "body-size", f"at most {limit} bytes")


def _bad_text(field: str, problem: str) -> Problem:
    # NUL has a rule of its own: clients were told about it before the other characters were refused.
    rule = "no-nul-character" if "U+0000" in problem else "plain-text"
    return _problem(422, "Invalid input", f"{field}: contains {problem}", field, rule,
                    f"contains {problem}: use plain printable text")


def _bad_text_in_json(body: bytes) -> tuple[str, str] | None:
    """(field, what) for the first string holding a forbidden character, if any."""
    if not _SUSPECT_JSON.search(body):
        return None
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None  # not JSON: the route's parser answers that

    def walk(value: Any, path: str) -> tuple[str, str] | None:
        if isinstance(value, str):
            problem = forbidden_character(value.translate(_SCAN_SEPARATORS), multi_line=True)
            return (path or "body", problem) if problem else None
        if isinstance(value, dict):
            for key, item in value.items():
                found = walk(key, path) or walk(item, f"{path}.{key}" if path else str(key))
                if found:
                    return found
        if isinstance(value, list):
            for n, item in enumerate(value):
                if found := walk(item, f"{path}[{n}]"):
                    return found
        return None

    return walk(document, "")


def _bad_text_in_query(query: bytes) -> tuple[str, str] | None:
    try:
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None  # FastAPI answers undecodable queries itself
    for name, value in pairs:
        for text in (name, value):
            if problem := forbidden_character(text):
                return name, problem
    return None


class RequestGuard:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await self._checked_body(scope, receive)
        except Problem as problem:
            response = JSONResponse(problem.body(scope.get("path", "")), status_code=problem.status,
                                    media_type=PROBLEM_JSON, headers=problem.headers)
            await response(scope, receive, send)
            return

        delivered = False

        async def replay() -> dict:  # the body once, then whatever the client does next (e.g. disconnect)
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _checked_body(self, scope: dict, receive: Any) -> bytes:
        headers = scope.get("headers") or []
        if sum(len(k) + len(v) for k, v in headers) > MAX_HEADER_BYTES:
            raise _problem(431, "Request headers too large", f"the headers are larger than {MAX_HEADER_BYTES} bytes",
                           "headers", "header-size", f"at most {MAX_HEADER_BYTES} bytes in all")
        if (found := _bad_text_in_query(scope.get("query_string", b""))) is not None:
            raise _bad_text(*found)
        values = dict(headers)
        multipart = values.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
        settings = get_settings()
        limit = settings.max_upload_body_bytes if multipart else settings.max_json_body_bytes
        declared = values.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            raise too_large(limit)
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if not multipart and (found := _bad_text_in_json(body)) is not None:
            raise _bad_text(*found)
        return body
