"""Billing's copy of what each order agreed (currency, net unit price and VAT rate per GTIN, the contract that priced
it), of each contract's payment terms and of each customer's default payment terms (its credit terms), learned from
order events. Orders placed before lines carried their VAT rate have none: the devices' 13% applies."""

import json

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.order import ContractAmended, ContractDrafted, CreditLimitSet, OrderAmended, OrderPlaced
from shared.platform.consumer import Projection


class OrderTerms(Projection):
    name = "billing-order-terms"
    subscribes_to = ("order",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.order_terms (order_id uuid PRIMARY KEY, hospital_id uuid NOT NULL,"
        " currency char(3) NOT NULL, unit_prices jsonb NOT NULL)",
        "ALTER TABLE {schema}.order_terms ADD COLUMN IF NOT EXISTS vat_rates jsonb",
        "ALTER TABLE {schema}.order_terms ADD COLUMN IF NOT EXISTS contract_id uuid",
        "CREATE TABLE IF NOT EXISTS {schema}.contract_terms (contract_id uuid PRIMARY KEY, customer_id uuid NOT NULL,"
        " payment_terms_days int NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {schema}.customer_terms (customer_id uuid PRIMARY KEY,"
        " payment_terms_days int NOT NULL)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case OrderAmended():  # what ships from now is invoiced at the amended prices
                cur.execute(
                    f"UPDATE {self.schema}.order_terms SET unit_prices = %s, vat_rates = %s WHERE order_id = %s",
                    (json.dumps({line.gtin: str(line.unit_price) for line in payload.lines}),
                     json.dumps({line.gtin: str(line.vat_rate) for line in payload.lines
                                 if line.vat_rate is not None}), payload.order_id))
            case OrderPlaced():
                prices = {line.gtin: str(line.unit_price) for line in payload.lines}
                rates = {line.gtin: str(line.vat_rate) for line in payload.lines if line.vat_rate is not None}
                contract = next((line.contract_id for line in payload.lines if line.contract_id), None)
                cur.execute(
                    f"INSERT INTO {self.schema}.order_terms (order_id, hospital_id, currency, unit_prices, vat_rates,"
                    " contract_id) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (payload.order_id, payload.hospital_id, payload.currency, json.dumps(prices), json.dumps(rates),
                     contract))
            case ContractDrafted():
                cur.execute(f"INSERT INTO {self.schema}.contract_terms VALUES (%s, %s, %s) ON CONFLICT (contract_id)"
                            " DO UPDATE SET payment_terms_days = EXCLUDED.payment_terms_days",
                            (payload.contract_id, payload.customer_id, payload.terms.payment_terms_days))
            case ContractAmended():
                cur.execute(f"UPDATE {self.schema}.contract_terms SET payment_terms_days = %s WHERE contract_id = %s",
                            (payload.terms.payment_terms_days, payload.contract_id))
            case CreditLimitSet() if payload.terms.members is None:  # a customer's, not a credit group's
                cur.execute(f"INSERT INTO {self.schema}.customer_terms VALUES (%s, %s) ON CONFLICT (customer_id)"
                            " DO UPDATE SET payment_terms_days = EXCLUDED.payment_terms_days",
                            (payload.customer_id, payload.terms.payment_terms_days))
