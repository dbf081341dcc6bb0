"""Small helpers for tests that drive a service's API in-process."""

from datetime import timedelta
from shared.domain.business_day import business_today


def days(n: int) -> str:
    """The ISO date n days from today (UTC): test data that never ages into the past."""
    return (business_today() + timedelta(days=n)).isoformat()


def stored(app) -> int:  # noqa: ANN001 - a ServiceApplication
    """How many events the application's log holds."""
    return len(list(app.recorder.select_notifications(start=1, limit=100_000)))


def approve_typed_prices(client, order: dict, base: str = "") -> dict:  # noqa: ANN001 - a client of the order API
    """An order placed with typed prices waits for a pricing manager: approve it as one (a second person), so that
    tests about what follows an order may type their prices. Returns the order as it is then."""
    from shared.platform.auth import issue_token

    if order.get("status") != "on_hold":
        return order
    answer = client.post(f"{base}/orders/{order['order_id']}/price-decision", json={
        "decision": "approve", "reason": "test data: the typed price stands"}, headers={
        "Authorization": f"Bearer {issue_token('pricing-test', ['pricing_manager'])}"})
    assert answer.status_code == 200, answer.text
    return answer.json()
