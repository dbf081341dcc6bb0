"""Billing's copy of what each order agreed (currency, net unit price and VAT rate per GTIN), learned from order
events. Orders placed before lines carried their VAT rate have none: the devices' 13% applies."""

import json

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.order import OrderAmended, OrderPlaced
from shared.platform.consumer import Projection


class OrderTerms(Projection):
    name = "billing-order-terms"
    subscribes_to = ("order",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.order_terms (order_id uuid PRIMARY KEY, hospital_id uuid NOT NULL,"
        " currency char(3) NOT NULL, unit_prices jsonb NOT NULL)",
        "ALTER TABLE {schema}.order_terms ADD COLUMN IF NOT EXISTS vat_rates jsonb",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        if isinstance(payload, OrderAmended):  # what ships from now is invoiced at the amended prices
            cur.execute(
                f"UPDATE {self.schema}.order_terms SET unit_prices = %s, vat_rates = %s WHERE order_id = %s",
                (json.dumps({line.gtin: str(line.unit_price) for line in payload.lines}),
                 json.dumps({line.gtin: str(line.vat_rate) for line in payload.lines if line.vat_rate is not None}),
                 payload.order_id))
        if isinstance(payload, OrderPlaced):
            prices = {line.gtin: str(line.unit_price) for line in payload.lines}
            rates = {line.gtin: str(line.vat_rate) for line in payload.lines if line.vat_rate is not None}
            cur.execute(
                f"INSERT INTO {self.schema}.order_terms (order_id, hospital_id, currency, unit_prices, vat_rates)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (payload.order_id, payload.hospital_id, payload.currency, json.dumps(prices), json.dumps(rates)),
            )

