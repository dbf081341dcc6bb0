"""A service's application on eventsourcing's in-memory persistence, as the unit tests' fixtures start it."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import TypeVar

from shared.platform.context import acting_as

App = TypeVar("App")


@contextmanager
def in_memory(application: type[App], actor: str | None = None,
              clock: Callable[[], datetime] | None = None) -> Iterator[App]:
    """A new, empty application (its clock replaced by `clock`, if given), with `actor` acting (if named) while
    inside; closed on leaving."""
    app = application.in_memory()
    if clock is not None:
        app.clock = clock
    try:
        with acting_as(actor) if actor else nullcontext():
            yield app
    finally:
        app.close()
