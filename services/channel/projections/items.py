"""The items channel measures distributors on, learned from inventory's item master events: names for scorecards
and alerts, and each item's product group (authorizations and rebate programmes may name a group)."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.inventory import ItemRegistered, ProductGroupSet
from shared.platform.consumer import Projection


class ChannelItems(Projection):
    name = "channel-items"
    subscribes_to = ("inventory",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.items (gtin char(14) PRIMARY KEY, name text, product_group text)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        # Either may arrive first after a rebuild of part of the topic: each sets its own column.
        match payload:
            case ItemRegistered():
                cur.execute(f"INSERT INTO {self.schema}.items (gtin, name) VALUES (%s, %s)"
                            " ON CONFLICT (gtin) DO UPDATE SET name = EXCLUDED.name", (payload.gtin, payload.name))
            case ProductGroupSet():
                cur.execute(f"INSERT INTO {self.schema}.items (gtin, product_group) VALUES (%s, %s)"
                            " ON CONFLICT (gtin) DO UPDATE SET product_group = EXCLUDED.product_group",
                            (payload.gtin, payload.group))
