"""A service's API as it runs (its composition root's definition), for tests that drive it in-process."""

from fastapi import FastAPI

from shared.platform.api import create_service_app
from shared.platform.registry import definition


def web_app(service: str) -> FastAPI:
    return create_service_app(definition(service))
