"""Small helpers for tests that drive a service's API in-process."""

from datetime import UTC, datetime, timedelta


def days(n: int) -> str:
    """The ISO date n days from today (UTC): test data that never ages into the past."""
    return (datetime.now(UTC).date() + timedelta(days=n)).isoformat()


def stored(app) -> int:  # noqa: ANN001 - a ServiceApplication
    """How many events the application's log holds."""
    return len(list(app.recorder.select_notifications(start=1, limit=100_000)))
