"""Price lists to list and filter: each list with its currency and how many GTINs it prices (the prices themselves
are read from the list's own events: GET /price-lists/{id})."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.channel import ListPriceSet, PriceListCreated
from shared.platform.consumer import Projection


class PriceLists(Projection):
    name = "channel-price-lists"
    subscribes_to = ("channel",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.price_lists (price_list_id uuid PRIMARY KEY, name text NOT NULL,"
        " currency char(3) NOT NULL, tax_included boolean NOT NULL, created_at timestamptz NOT NULL,"
        " created_by text NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {schema}.list_prices (price_list_id uuid NOT NULL, gtin char(14) NOT NULL,"
        " price numeric(18,4) NOT NULL, valid_from date NOT NULL, valid_to date,"
        " PRIMARY KEY (price_list_id, gtin, valid_from))",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case PriceListCreated():
                cur.execute(f"INSERT INTO {self.schema}.price_lists VALUES (%s, %s, %s, %s, %s, %s)"
                            " ON CONFLICT DO NOTHING", (payload.price_list_id, payload.name, payload.currency,
                                                        payload.tax_included, envelope.time, envelope.actor))
            case ListPriceSet():
                cur.execute(f"INSERT INTO {self.schema}.list_prices VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                            (payload.price_list_id, payload.gtin, payload.price, payload.valid_from,
                             payload.valid_to))
