"""A simulated provincial procurement platform (省级医用耗材招采平台), in memory, for the tests and a local demo: no
real platform is reachable from a development machine. `create_app(SimulatedPlatform())` is a FastAPI app; the
state object outlives the app, so a test can stop the server (connection refused) and serve the same state again.

Its API, in the shape such platforms use (JSON with Chinese field names; every answer is
`{"code": 0, "message": "成功", "data": ...}`, a business error a non-zero `code` with HTTP 400):

Supplier side (what the adapter, simulated.py, calls):
- `GET  /api/v1/orders?cursor=<n>&limit=<m>`: the order feed after position n (absent: from the start):
  `data = {"订单列表": [订单...], "下一游标": "<n'>"}`. An order is
  `{"订单编号", "医院编码", "医院名称", "配送企业", "配送企业编码", "收货地址", "要求到货日期", "下单时间",
  "订单明细": [{"明细序号", "产品编码", "UDI-DI", "产品名称", "规格型号", "采购数量", "采购单价"}]}`.
  The feed is a log: an order put in twice appears twice (the platform resends).
- `POST /api/v1/orders/{订单编号}/distribution-confirmation` `{"请求流水号", "配送企业", "确认时间"}`: 确认配送关系.
- `POST /api/v1/deliveries` `{"请求流水号", "订单编号", "配送单号", "配送时间", "配送明细": [{"明细序号", "产品编码",
  "UDI-DI", "批号", "有效期至", "配送数量"}]}`: 配送确认.
- `POST /api/v1/invoices` `{"请求流水号", "订单编号", "配送单号", "发票号码", "开票日期", "价税合计", "税额"}`: 发票推送.
- `GET  /api/v1/acceptances?cursor=<n>&limit=<m>`: `data = {"验收列表": [{"验收单号", "订单编号", "配送单号",
  "验收时间", "验收数量", "拒收数量"}], "下一游标"}`.
Pushes are de-duplicated on `请求流水号`: the same request again answers 0 and records nothing new (it is counted in
`attempts`). A push for an order the platform does not hold answers 400 with code 40401.

Test side (the test plays the hospital and the outage):
- `POST /_sim/orders` (an order as above): put it on the feed; `POST /_sim/acceptances` (an acceptance as above);
- `POST /_sim/outage` `{"down": true|false}`: while down, every /api call answers 503;
- `GET  /_sim/state`: what was received: `confirmations`, `deliveries`, `invoices` (each once), `attempts` (every
  push received, duplicates included), `calls` (every /api call, 503s included).
"""

import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class SimulatedPlatform:
    """The platform's state: its order feed, what suppliers pushed, the hospitals' acceptances, the outage switch."""

    feed: list[dict[str, Any]] = field(default_factory=list)
    acceptances: list[dict[str, Any]] = field(default_factory=list)
    confirmations: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)
    calls: int = 0
    down: bool = False
    seen_requests: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def put_order(self, order: dict[str, Any]) -> None:
        with self.lock:
            self.feed.append(order)

    def put_acceptance(self, acceptance: dict[str, Any]) -> None:
        with self.lock:
            self.acceptances.append(acceptance)

    def holds(self, order_no: str) -> bool:
        return any(order["订单编号"] == order_no for order in self.feed)

    def record(self, kind: list[dict[str, Any]], body: dict[str, Any]) -> None:
        """Keep a push once per 请求流水号; count every attempt."""
        with self.lock:
            request_id = str(body.get("请求流水号") or "")
            self.attempts.append(request_id)
            if request_id and request_id in self.seen_requests:
                return
            self.seen_requests.add(request_id)
            kind.append(body)


def _ok(data: Any = None) -> dict[str, Any]:
    return {"code": 0, "message": "成功", "data": data}


def _refused(code: int, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "data": None}, status_code=400)


def _page(log: list[dict[str, Any]], key: str, cursor: int | None, limit: int) -> dict[str, Any]:
    start = cursor or 0
    items = log[start:start + limit]
    return {key: items, "下一游标": str(start + len(items))}


def create_app(platform: SimulatedPlatform | None = None) -> FastAPI:
    platform = platform or SimulatedPlatform()
    app = FastAPI(title="模拟省级医用耗材招采平台 (simulated procurement platform)")
    app.state.platform = platform

    @app.middleware("http")
    async def outage(request: Request, call_next):  # noqa: ANN001, ANN202 - a middleware
        if request.url.path.startswith("/api/"):
            with platform.lock:
                platform.calls += 1
            if platform.down:
                return JSONResponse({"code": 503, "message": "系统维护中", "data": None}, status_code=503)
        return await call_next(request)

    @app.get("/api/v1/orders")
    def orders(cursor: int | None = None, limit: int = 100) -> dict[str, Any]:
        with platform.lock:
            return _ok(_page(platform.feed, "订单列表", cursor, limit))

    @app.post("/api/v1/orders/{order_no}/distribution-confirmation", response_model=None)
    def confirm_distribution(order_no: str, body: dict[str, Any] = Body(...)) -> dict[str, Any] | JSONResponse:
        if not platform.holds(order_no):
            return _refused(40401, f"订单不存在: {order_no}")
        platform.record(platform.confirmations, {"订单编号": order_no, **body})
        return _ok()

    @app.post("/api/v1/deliveries", response_model=None)
    def deliveries(body: dict[str, Any] = Body(...)) -> dict[str, Any] | JSONResponse:
        if not platform.holds(str(body.get("订单编号"))):
            return _refused(40401, f"订单不存在: {body.get('订单编号')}")
        platform.record(platform.deliveries, body)
        return _ok()

    @app.post("/api/v1/invoices", response_model=None)
    def invoices(body: dict[str, Any] = Body(...)) -> dict[str, Any] | JSONResponse:
        if not platform.holds(str(body.get("订单编号"))):
            return _refused(40401, f"订单不存在: {body.get('订单编号')}")
        platform.record(platform.invoices, body)
        return _ok()

    @app.get("/api/v1/acceptances")
    def acceptances(cursor: int | None = None, limit: int = 100) -> dict[str, Any]:
        with platform.lock:
            return _ok(_page(platform.acceptances, "验收列表", cursor, limit))

    @app.post("/_sim/orders")
    def put_order(body: dict[str, Any] = Body(...)) -> dict[str, Any]:
        platform.put_order(body)
        return _ok()

    @app.post("/_sim/acceptances")
    def put_acceptance(body: dict[str, Any] = Body(...)) -> dict[str, Any]:
        platform.put_acceptance(body)
        return _ok()

    @app.post("/_sim/outage")
    def switch(body: dict[str, Any] = Body(...)) -> dict[str, Any]:
        platform.down = bool(body.get("down"))
        return _ok({"down": platform.down})

    @app.get("/_sim/state")
    def state() -> dict[str, Any]:
        with platform.lock:
            return {"confirmations": platform.confirmations, "deliveries": platform.deliveries,
                    "invoices": platform.invoices, "attempts": platform.attempts, "calls": platform.calls,
                    "down": platform.down}

    return app


if __name__ == "__main__":  # a local platform to point ORDER_PLATFORM_URL at: python -m services.order.platforms.simulator
    import os

    import uvicorn

    uvicorn.run(create_app(), host="127.0.0.1", port=int(os.environ.get("SIMULATOR_PORT", "8090")))
