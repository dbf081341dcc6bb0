"""One way for a rule to refuse a command, whichever service and layer it lives in.

A `RuleViolation` names the rule (a stable, kebab-case id clients can act on), says what is wrong in words a
person can act on, and may name the input field it is about and carry context (ids, quantities). The problem
layer (shared/platform/problems.py) answers it once for every service: 409 problem+json, `type` urn:erp:rule:<rule>.
`InvalidReference` is the kind about input that is well-formed but names something unknown or unusable (an
unregistered hospital, say): a 422 naming the field, like any other invalid input.
"""

from typing import Any


class RuleViolation(Exception):  # noqa: N818 - it is what it is called in the domain
    status = 409

    def __init__(self, rule: str, detail: str, field: str | None = None, **context: Any) -> None:
        super().__init__(detail)
        self.rule, self.detail, self.field, self.context = rule, detail, field, context


class InvalidReference(RuleViolation):
    """Input that names something unknown or unusable; answered 422, naming the field."""

    status = 422

    def __init__(self, field: str, rule: str, message: str, detail: str | None = None, **context: Any) -> None:
        super().__init__(rule, detail or message, field, **context)
        self.message = message


class NotFound(RuleViolation):
    """What a command names does not exist (or is not the caller's to see): answered 404."""

    status = 404

    def __init__(self, what: str, key: object) -> None:
        super().__init__("exists", f"no {what.lower()} with id {key}", what=what, key=str(key))
        self.what = what
