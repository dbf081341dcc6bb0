"""Contracts to list and filter, and what was ordered, shipped and invoiced under each (contract consumption): from
order's own events (drafted, signed, amended, terminated, called off), inventory's shipments and billing's invoices.
Shipped and invoiced quantities are kept per order and GTIN whatever the contract, and joined to the call-offs when
read (queries.py), so they count whichever topic is read first."""

from psycopg import Cursor
from psycopg.types.json import Jsonb

from shared.events import CloudEvent, EventPayload
from shared.events.billing import InvoiceRaised
from shared.events.inventory import ShipmentDispatched
from shared.events.order import (
    ContractAmended, ContractCalledOff, ContractCallOffReleased, ContractDrafted, ContractSigned, ContractTerminated,
)
from shared.platform.consumer import Projection


class ContractList(Projection):
    name = "order-contract-list"
    subscribes_to = ("order", "inventory", "billing")

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.contract_list (contract_id uuid PRIMARY KEY, number text NOT NULL,"
        " template text NOT NULL, customer_id uuid NOT NULL, customer_kind text NOT NULL, currency char(3) NOT NULL,"
        " valid_from date NOT NULL, valid_to date NOT NULL, authorized_distributor_id uuid, status text NOT NULL,"
        " amendments int NOT NULL DEFAULT 0, terms jsonb NOT NULL, signed_at timestamptz, terminated_on date,"
        " drafted_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)",
        "CREATE INDEX IF NOT EXISTS contract_list_customer ON {schema}.contract_list (customer_id, status)",
        "CREATE TABLE IF NOT EXISTS {schema}.contract_calloffs (contract_id uuid NOT NULL, order_id uuid NOT NULL,"
        " gtin char(14) NOT NULL, quantity int NOT NULL, called_at timestamptz NOT NULL,"
        " PRIMARY KEY (contract_id, order_id, gtin))",
        "CREATE TABLE IF NOT EXISTS {schema}.order_line_flows (order_id uuid NOT NULL, gtin char(14) NOT NULL,"
        " shipped int NOT NULL DEFAULT 0, invoiced int NOT NULL DEFAULT 0, PRIMARY KEY (order_id, gtin))",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        table = f"{self.schema}.contract_list"
        match payload:
            case ContractDrafted():
                terms = payload.terms
                cur.execute(f"INSERT INTO {table} (contract_id, number, template, customer_id, customer_kind, currency,"
                            " valid_from, valid_to, authorized_distributor_id, status, terms, drafted_at, updated_at)"
                            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'draft', %s, %s, %s) ON CONFLICT DO NOTHING",
                            (payload.contract_id, payload.number, payload.template, payload.customer_id,
                             payload.customer_kind, payload.currency, terms.valid_from, terms.valid_to,
                             terms.authorized_distributor_id, Jsonb(terms.model_dump(mode="json")), envelope.time,
                             envelope.time))
            case ContractSigned():
                cur.execute(f"UPDATE {table} SET status = 'active', signed_at = %s, updated_at = %s"
                            " WHERE contract_id = %s", (envelope.time, envelope.time, payload.contract_id))
            case ContractAmended():
                terms = payload.terms
                cur.execute(f"UPDATE {table} SET terms = %s, valid_from = %s, valid_to = %s,"
                            " authorized_distributor_id = %s, amendments = %s, updated_at = %s WHERE contract_id = %s",
                            (Jsonb(terms.model_dump(mode="json")), terms.valid_from, terms.valid_to,
                             terms.authorized_distributor_id, payload.amendment, envelope.time, payload.contract_id))
            case ContractTerminated():
                cur.execute(f"UPDATE {table} SET status = 'terminated', terminated_on = %s, updated_at = %s"
                            " WHERE contract_id = %s", (payload.effective_on, envelope.time, payload.contract_id))
            case ContractCalledOff():
                for line in payload.lines:
                    cur.execute(f"INSERT INTO {self.schema}.contract_calloffs VALUES (%s, %s, %s, %s, %s)"
                                " ON CONFLICT DO NOTHING",
                                (payload.contract_id, payload.order_id, line.gtin, line.quantity, envelope.time))
            case ContractCallOffReleased():  # a cancelled order's call-off: gone from the consumption
                cur.execute(f"DELETE FROM {self.schema}.contract_calloffs WHERE contract_id = %s AND order_id = %s",
                            (payload.contract_id, payload.order_id))
            case ShipmentDispatched():
                self._flow(cur, payload.order_id, "shipped", [(line.gtin, line.quantity) for line in payload.lines])
            case InvoiceRaised():
                self._flow(cur, payload.order_id, "invoiced", [(line.gtin, line.quantity) for line in payload.lines])

    def _flow(self, cur: Cursor, order_id: object, column: str, lines: list[tuple[str, int]]) -> None:
        for gtin, quantity in lines:
            cur.execute(f"INSERT INTO {self.schema}.order_line_flows (order_id, gtin, {column}) VALUES (%s, %s, %s)"
                        f" ON CONFLICT (order_id, gtin) DO UPDATE SET {column} = order_line_flows.{column}"
                        f" + EXCLUDED.{column}", (order_id, gtin, quantity))
