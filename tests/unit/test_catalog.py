"""The projection catalog, the names a rebuild uses, and how `erp projections list` judges lag and state."""

from shared.platform.catalog import find, projections
from shared.platform.cli.projections import PartitionStatus, ProjectionStatus
from shared.platform.consumer import Projection
from shared.platform.rebuild import MAX_IDENTIFIER, projection_tables, retired_schema, shadow_schema
from shared.platform.settings import Settings

SETTINGS = Settings(ERP_NAMESPACE="t1234abcd_")


def test_the_catalog_lists_every_projection_the_workers_run_in_its_services_schema():
    entries = {e.name: e for e in projections(SETTINGS)}
    assert {name: e.service for name, e in entries.items()} == {
        "channel-directory": "channel",
        "channel-qualifications": "channel",
        "channel-price-lists": "channel",
        "channel-items": "channel",
        "channel-diversion-alerts": "channel",
        "channel-rebate-basis": "channel",
        "channel-rebate-lists": "channel",
        "channel-promotions": "channel",
        "order-known-hospitals": "order",
        "order-known-distributors": "order",
        "order-list": "order",
        "order-known-items": "order",
        "order-price-book": "order",
        "order-quote-list": "order",
        "order-contract-list": "order",
        "order-vbp-progress": "order",
        "order-credit-exposure": "order",
        "order-history": "order",
        "order-distributor-licences": "order",
        "inventory-stock-on-hand": "inventory",
        "inventory-returns": "inventory",
        "inventory-serials": "inventory",
        "inventory-open-recalls": "inventory",
        "inventory-backorders": "inventory",
        "inventory-consignment-stock": "inventory",
        "inventory-scheduled-deliveries": "inventory",
        "inventory-hospital-provinces": "inventory",
        "inventory-fulfilment-queue": "inventory",
        "inventory-udi-master": "inventory",
        "inventory-retention": "inventory",
        "billing-order-terms": "billing",
        "billing-invoice-list": "billing",
        "billing-known-parties": "billing",
        "billing-receivables": "billing",
        "billing-two-invoice-chains": "billing",
        "billing-bank-lines": "billing",
        "traceability-shipment-lineage": "traceability",
        "traceability-recall-cases": "traceability",
        "traceability-lot-history": "traceability",
        "traceability-terminal-master": "traceability",
        "traceability-channel-stock": "traceability",
        "traceability-lot-catalogue": "traceability",
        "traceability-recall-notices": "traceability",
        "analytics-sales": "analytics",
        "analytics-returns": "analytics",
        "analytics-stock": "analytics",
        "analytics-recall-status": "analytics",
        "analytics-promotions": "analytics",
    }
    assert all(issubclass(e.cls, Projection) for e in entries.values())
    assert entries["channel-directory"].schema == "t1234abcd_channel_service"
    assert entries["traceability-shipment-lineage"].topics == (
        "t1234abcd_channel.events", "t1234abcd_inventory.events", "t1234abcd_traceability.events")
    assert find(SETTINGS, "order-list").cls is entries["order-list"].cls


def test_rebuild_schemas_are_valid_distinct_identifiers_and_tables_come_from_the_ddl():
    for entry in projections(SETTINGS):
        shadow, retired = shadow_schema(entry), retired_schema(entry)
        assert len(shadow) <= MAX_IDENTIFIER and len(retired) <= MAX_IDENTIFIER
        assert shadow != retired and shadow.startswith(SETTINGS.namespace)
        assert shadow == shadow.lower() and "-" not in shadow  # projections write `{schema}.table` unquoted
        assert projection_tables(entry.projection(None))
    assert "stock_on_hand" in projection_tables(find(SETTINGS, "inventory-stock-on-hand").projection(None))


def test_lag_is_the_events_behind_the_head_and_state_follows_from_it():
    entry = find(SETTINGS, "channel-directory")

    def status(*partitions: PartitionStatus, rebuilding: bool = False) -> ProjectionStatus:
        return ProjectionStatus(entry, list(partitions), rebuilding)

    fresh = PartitionStatus("t", 0, None, None, head=7)
    behind = PartitionStatus("t", 1, 4, 12, head=10)
    level = PartitionStatus("t", 2, 9, 30, head=10)
    assert (fresh.lag, behind.lag, level.lag) == (7, 5, 0)
    assert status(fresh).state == "not started"
    assert status(fresh, behind).state == "catching up"
    assert status(level).state == "caught up"
    assert status(level, rebuilding=True).state == "rebuilding"
