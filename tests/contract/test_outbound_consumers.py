"""Consumers of the outbound golden examples: the golden shipment S is delivered, accepted by the hospital with
2 damaged units, those 2 are returned and scrapped; a kit lot KIT2611A is assembled from 5 guidewires (GW2601)."""

from shared.platform.consumer import Delivery
from services.inventory.projections.returns import ReturnsByReason
from services.inventory.projections.stock import StockOnHand
from tests.contract.golden import golden, golden_from
from tests.contract.test_consumers import GTIN, H, O, S, feed, one

KIT_GTIN = "09506000134383"


def test_returns_by_reason_lists_the_golden_return(settings, pool):  # noqa: F811
    schema = settings.schema_for("inventory")
    feed(ReturnsByReason(pool, schema), settings, "inventory")
    row = one(pool, f"SELECT * FROM {schema}.returns")
    assert (row["order_id"], row["shipment_id"], row["hospital_id"]) == (O, S, H)
    assert (row["gtin"], row["lot"], row["quantity"], row["reason"], row["disposition"]) == (
        GTIN, "L2701A", 2, "damaged", "scrap")


def test_stock_on_hand_scraps_returns_and_takes_kits_in(settings, pool):  # noqa: F811
    schema = settings.schema_for("inventory")
    projection = StockOnHand(pool, schema)
    projection.setup()
    # A guidewire lot on hand for the kit to consume: the golden story's receipt, as another item and lot.
    receipt = golden("erp.inventory.LotReceived").model_copy(update={"position": 39})
    receipt = receipt.model_copy(update={"data": {**receipt.data, "gtin": "09506000134376", "lot": "GW2601",
                                                  "expiry": "2028-06-30", "quantity": 20}})
    story = [*golden_from("inventory")]
    story.insert(next(i for i, e in enumerate(story) if e.position > 39), receipt)
    projection.handle_batch([Delivery(settings.topic_for("inventory"), 0, n, e) for n, e in enumerate(story)])
    # The 2 returned units were scrapped: nothing of L2701A came back into quarantine.
    scrapped = one(pool, f"SELECT count(*) AS n FROM {schema}.stock_on_hand WHERE gtin = %s AND lot = 'L2701A'"
                         " AND quality = 'quarantine'", GTIN)
    assert scrapped["n"] == 0
    assert one(pool, f"SELECT on_hand FROM {schema}.stock_on_hand WHERE lot = 'GW2601'")["on_hand"] == 15
    kit = one(pool, f"SELECT on_hand, quality, expiry FROM {schema}.stock_on_hand WHERE gtin = %s", KIT_GTIN)
    assert (kit["on_hand"], kit["quality"], str(kit["expiry"])) == (5, "quarantine", "2028-06-30")
