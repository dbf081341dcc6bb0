"""Waiting for what the system does asynchronously, for clients that drive it from outside (the demo, the tests)."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(probe: Callable[[], T], what: str, timeout: float = 60) -> T:
    """Poll until `probe` returns something truthy, and return it; TimeoutError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(0.2)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
