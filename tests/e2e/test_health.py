"""/ready reports what a service needs to work (database, Kafka, its relay and its worker); /metrics
reports how far its log, relay and consumers got."""

import httpx

from tests.waiting import wait_for


def test_ready_needs_the_relay_and_worker_and_metrics_follow_the_pipeline(stack, http):
    stack.start("channel", "web")
    url = stack.url("channel")
    wait_for(lambda: _answers(f"{url}/health"), "the API to answer")
    not_ready = wait_for(lambda: (r := httpx.get(f"{url}/ready")).status_code == 503 and r.json()["checks"]["kafka"]["ok"] and r,
                         "Kafka to be seen while relay and worker are missing")
    checks = not_ready.json()["checks"]
    assert checks["database"]["ok"] and not checks["relay"]["ok"] and not checks["worker"]["ok"]

    stack.start("channel", "relay")
    stack.start("channel", "worker")
    wait_for(lambda: httpx.get(f"{url}/ready").status_code == 200, "ready once relay and worker beat")

    for n in range(3):
        assert http.post(f"{url}/hospitals", json={"name": f"H{n}", "province": "上海市", "grade": "3A"}).status_code == 201

    def metrics() -> dict[str, float]:
        lines = [line for line in httpx.get(f"{url}/metrics").text.splitlines() if line.startswith("erp_")]
        return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in lines}

    caught_up = wait_for(lambda: (m := metrics()).get('erp_events_published{service="channel"}') == 3
                         and m.get('erp_consumer_lag{consumer="channel-directory",service="channel"}') == 0 and m,
                         "published 3 and the directory caught up")
    assert caught_up['erp_events_stored{service="channel"}'] == 3
    assert any(k.startswith('erp_http_requests_total{') and 'route="/hospitals"' in k for k in caught_up)

    stack.kill("channel", "worker")
    wait_for(lambda: (r := httpx.get(f"{url}/ready")).status_code == 503 and not r.json()["checks"]["worker"]["ok"],
             "not ready once the worker's heartbeat goes stale", timeout=20)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
