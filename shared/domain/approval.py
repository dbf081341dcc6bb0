"""Four eyes: an approval is a second person's. Whoever requested a decision (a recall's closure or scope reduction,
skipping a dead letter; later price deviations, credit hold releases, rebate settlements) cannot also approve it."""

from shared.domain.rules import RuleViolation


def second_person(requested_by: str, approved_by: str, what: str) -> None:
    """Refuse (409 `four-eyes`) an approval by the person who asked for it."""
    if approved_by == requested_by:
        raise RuleViolation("four-eyes", f"{what} was requested by you ({requested_by}): a second person must approve"
                                         " it", requested_by=requested_by)
