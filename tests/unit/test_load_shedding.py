"""An API process works on a bounded number of requests: the next one is refused at once with 503, Retry-After and a
problem naming the rule, having read nothing; probes are always answered; once work finishes, requests are taken
again."""

import asyncio
import time

import httpx
from fastapi import FastAPI

from shared.platform.load_shedding import LoadShedder
from shared.platform.request_guard import RequestGuard


def slow_app(release: asyncio.Event, started: list[str]) -> FastAPI:
    app = FastAPI()

    @app.post("/orders")
    async def place(body: dict) -> dict:
        started.append(body["n"])
        await release.wait()
        return {"placed": body["n"]}

    @app.get("/health")
    async def health() -> dict:
        return {"status": "alive"}

    app.add_middleware(LoadShedder, service="test", limit=2, retry_after_seconds=3)
    return app


def test_the_request_beyond_the_bound_is_refused_at_once_and_taken_again_once_work_finishes():
    async def scenario() -> None:
        release, started = asyncio.Event(), []
        transport = httpx.ASGITransport(app=slow_app(release, started))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            working = [asyncio.create_task(client.post("/orders", json={"n": n})) for n in ("a", "b")]
            while len(started) < 2:
                await asyncio.sleep(0.001)

            asked = time.perf_counter()
            refused = await client.post("/orders", json={"n": "c"})
            assert time.perf_counter() - asked < 0.5  # answered without waiting for the work in flight
            assert refused.status_code == 503
            assert refused.headers["Retry-After"] == "3"
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["rule"] == "max-in-flight" and refused.json()["instance"] == "/orders"
            assert started == ["a", "b"]  # the refused request reached no route

            assert (await client.get("/health")).status_code == 200  # probes are never shed

            release.set()
            assert [(await w).json() for w in working] == [{"placed": "a"}, {"placed": "b"}]
            again = await client.post("/orders", json={"n": "c"})
            assert (again.status_code, again.json()) == (200, {"placed": "c"})

    asyncio.run(scenario())


def test_a_request_that_fails_still_gives_its_place_back():
    async def scenario() -> None:
        app = FastAPI()

        @app.get("/boom")
        async def boom() -> None:
            raise RuntimeError("a bug")

        app.add_middleware(LoadShedder, service="test", limit=1)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            for _ in range(3):  # with the place not given back, the second would be refused with 503
                assert (await client.get("/boom")).status_code == 500

    asyncio.run(scenario())


def test_every_service_app_sheds_first_at_the_configured_bound(monkeypatch):
    from shared.platform.api import create_service_app
    from shared.platform.registry import definitions
    from shared.platform.settings import get_settings

    monkeypatch.setenv("API_MAX_IN_FLIGHT", "7")
    get_settings.cache_clear()
    try:
        for definition in definitions():
            stack = [m.cls for m in create_service_app(definition).user_middleware]  # the outermost first
            shedder = create_service_app(definition).user_middleware[stack.index(LoadShedder)]
            assert shedder.kwargs["limit"] == 7, definition.name
            assert stack.index(LoadShedder) < stack.index(RequestGuard), "the body is read before shedding"
    finally:
        get_settings.cache_clear()
