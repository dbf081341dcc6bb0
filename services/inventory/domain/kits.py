"""Kits and re-packing: component lots (available stock) consumed into a new lot of a kit item. Pure rules."""

from datetime import date
from typing import Any
from shared.domain.rules import RuleViolation


class KitRuleError(RuleViolation):
    """A rule of this module refused the command (answered as a 409 problem naming `rule`)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(rule, message)


def kit_expiry(components: list[dict[str, Any]], given: date | None) -> date:
    """The earliest component expiry, unless an earlier one is given; a later one is refused."""
    earliest = min(c["expiry"] for c in components)
    if given is None:
        return earliest
    if given > earliest:
        raise KitRuleError("kit-expiry-not-after-components",
                           f"the kit cannot expire on {given}: a component expires on {earliest}")
    return given
