"""Waiting for what the system does asynchronously, in tests that drive it from outside."""

from shared.platform.waiting import wait_for

__all__ = ["wait_for"]
