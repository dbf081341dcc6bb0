"""Promotions and what they gave: each promotion as channel launched it (its rule's scope, validity and budget), the
discount the order service spent of its budget per order. The effect against the baseline is read from these and the
sales read model (queries.promotion_effect)."""

from psycopg import Cursor
from psycopg.types.json import Jsonb

from shared.events import CloudEvent, EventPayload
from shared.events.channel import PromotionCreated
from shared.events.order import PromotionBudgetOpened, PromotionBudgetSpent
from shared.platform.consumer import Projection


class Promotions(Projection):
    name = "analytics-promotions"
    subscribes_to = ("channel", "order")

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.promotions (promotion_id uuid PRIMARY KEY, number text NOT NULL,"
        " name text NOT NULL, rule_id text NOT NULL, budget numeric(18,2) NOT NULL, valid_from date NOT NULL,"
        " valid_to date NOT NULL, scope jsonb NOT NULL, effect jsonb NOT NULL, owner text NOT NULL)",
        "CREATE INDEX IF NOT EXISTS promotions_rule ON {schema}.promotions (rule_id)",
        "CREATE TABLE IF NOT EXISTS {schema}.promotion_budgets (budget_id uuid PRIMARY KEY, rule_id text NOT NULL)",
        # What the budget gave each order: an amendment replaces it.
        "CREATE TABLE IF NOT EXISTS {schema}.promotion_spend (budget_id uuid NOT NULL, order_id uuid NOT NULL,"
        " amount numeric(18,2) NOT NULL, PRIMARY KEY (budget_id, order_id))",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        s = self.schema
        match payload:
            case PromotionCreated():
                cur.execute(f"INSERT INTO {s}.promotions VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                            " ON CONFLICT DO NOTHING",
                            (payload.promotion_id, payload.number, payload.name, payload.rule_id, payload.budget,
                             payload.valid_from, payload.valid_to, Jsonb(payload.scope), Jsonb(payload.effect),
                             payload.owner))
            case PromotionBudgetOpened():
                cur.execute(f"INSERT INTO {s}.promotion_budgets VALUES (%s, %s) ON CONFLICT DO NOTHING",
                            (payload.budget_id, payload.rule_id))
            case PromotionBudgetSpent():
                cur.execute(f"INSERT INTO {s}.promotion_spend VALUES (%s, %s, %s) ON CONFLICT (budget_id, order_id)"
                            " DO UPDATE SET amount = EXCLUDED.amount",
                            (payload.budget_id, payload.order_id, payload.amount))
