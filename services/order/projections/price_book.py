"""Order's own copy of the pricing rulebook (price lists, list prices, pricing rules, tender prices), learned from
channel's events, so that quotes and orders are priced by the same engine (shared/domain/pricing.py) from the same
rules as channel's `GET /prices/quote`, without reading channel's tables."""

from psycopg import Cursor
from psycopg.types.json import Jsonb

from shared.events import CloudEvent, EventPayload
from shared.events.channel import (
    ListPriceSet, PriceListCreated, PricingRuleSaved, PromotionCreated, TenderPriceRecorded,
)
from shared.platform.consumer import Projection


class PriceBook(Projection):
    name = "order-price-book"
    subscribes_to = ("channel",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.price_lists (price_list_id uuid PRIMARY KEY, name text NOT NULL,"
        " currency char(3) NOT NULL, tax_included boolean NOT NULL, created_at timestamptz NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {schema}.list_prices (price_list_id uuid NOT NULL, gtin char(14) NOT NULL,"
        " valid_from date NOT NULL, valid_to date, price numeric(18,4) NOT NULL,"
        " PRIMARY KEY (price_list_id, gtin, valid_from))",
        "CREATE TABLE IF NOT EXISTS {schema}.pricing_rules (rule_id text PRIMARY KEY, rule jsonb NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {schema}.tender_prices (tender_price_id text PRIMARY KEY, gtin char(14) NOT NULL,"
        " tender jsonb NOT NULL)",
        # Promotions came later: none existed before (no rebuild needed).
        "CREATE TABLE IF NOT EXISTS {schema}.promotion_budgets (rule_id text PRIMARY KEY, budget numeric(18,2) NOT NULL)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case PriceListCreated():
                cur.execute(f"INSERT INTO {self.schema}.price_lists VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                            (payload.price_list_id, payload.name, payload.currency, payload.tax_included,
                             envelope.time))
            case ListPriceSet():
                cur.execute(f"INSERT INTO {self.schema}.list_prices VALUES (%s, %s, %s, %s, %s) ON CONFLICT"
                            " (price_list_id, gtin, valid_from) DO UPDATE SET valid_to = EXCLUDED.valid_to,"
                            " price = EXCLUDED.price",
                            (payload.price_list_id, payload.gtin, payload.valid_from, payload.valid_to, payload.price))
            case PricingRuleSaved():
                rule = payload.model_dump(mode="json", exclude={"book_id"})
                cur.execute(f"INSERT INTO {self.schema}.pricing_rules VALUES (%s, %s) ON CONFLICT (rule_id)"
                            " DO UPDATE SET rule = EXCLUDED.rule", (payload.rule_id, Jsonb(rule)))
            case PromotionCreated():
                cur.execute(f"INSERT INTO {self.schema}.promotion_budgets VALUES (%s, %s) ON CONFLICT DO NOTHING",
                            (payload.rule_id, payload.budget))
            case TenderPriceRecorded():
                tender = payload.model_dump(mode="json", exclude={"book_id"})
                cur.execute(f"INSERT INTO {self.schema}.tender_prices VALUES (%s, %s, %s) ON CONFLICT"
                            " (tender_price_id) DO UPDATE SET gtin = EXCLUDED.gtin, tender = EXCLUDED.tender",
                            (payload.tender_price_id, payload.gtin, Jsonb(tender)))
