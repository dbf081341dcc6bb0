"""Rebate programmes, settlements and promotions to list and filter (the aggregates hold the rules; these the
worklists)."""

from psycopg import Cursor
from psycopg.types.json import Jsonb

from shared.events import CloudEvent, EventPayload
from shared.events.channel import (
    PromotionCreated, RebateAccountOpened, RebateProgrammeCreated, RebateSettlementApproved, RebateSettlementProposed,
    RebateSettlementRejected,
)
from shared.platform.consumer import Projection


class RebateLists(Projection):
    name = "channel-rebate-lists"
    subscribes_to = ("channel",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.rebate_programmes (programme_id uuid PRIMARY KEY, number text NOT NULL,"
        " name text NOT NULL, basis text NOT NULL, measure text NOT NULL, kind text NOT NULL,"
        " retroactive boolean NOT NULL, period text NOT NULL, valid_from date NOT NULL, valid_to date NOT NULL,"
        " distributors uuid[] NOT NULL, distributor_tiers text[] NOT NULL, created_at timestamptz NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {schema}.rebate_accounts (account_id uuid PRIMARY KEY, programme_id uuid NOT NULL,"
        " distributor_id uuid NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {schema}.rebate_settlements (account_id uuid NOT NULL, settlement_no text NOT NULL,"
        " programme_id uuid, distributor_id uuid, through_period text NOT NULL, entitled numeric(18,2) NOT NULL,"
        " settled_before numeric(18,2) NOT NULL, amount numeric(18,2) NOT NULL, mode text NOT NULL,"
        " free_goods_gtin text, status text NOT NULL, proposed_by text NOT NULL, proposed_at timestamptz NOT NULL,"
        " decided_by text, decided_at timestamptz, reason text, PRIMARY KEY (account_id, settlement_no))",
        "ALTER TABLE {schema}.rebate_settlements ADD COLUMN IF NOT EXISTS free_goods_quantity integer",
        "ALTER TABLE {schema}.rebate_settlements ADD COLUMN IF NOT EXISTS free_goods_unit_price numeric(18,4)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case RebateProgrammeCreated():
                cur.execute(f"INSERT INTO {self.schema}.rebate_programmes VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s,"
                            " %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                            (payload.programme_id, payload.number, payload.name, payload.basis, payload.measure,
                             payload.kind, payload.retroactive, payload.period, payload.valid_from, payload.valid_to,
                             payload.distributors, payload.distributor_tiers, envelope.time))
            case RebateAccountOpened():
                cur.execute(f"INSERT INTO {self.schema}.rebate_accounts VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                            (payload.account_id, payload.programme_id, payload.distributor_id))
            case RebateSettlementProposed():
                # The account's programme and distributor are its Opened event's, applied before (same aggregate,
                # same partition, in order).
                cur.execute(f"INSERT INTO {self.schema}.rebate_settlements (account_id, settlement_no, programme_id,"
                            " distributor_id, through_period, entitled, settled_before, amount, mode, free_goods_gtin,"
                            " free_goods_quantity, free_goods_unit_price, status, proposed_by, proposed_at)"
                            " SELECT %s, %s, a.programme_id, a.distributor_id, %s, %s, %s, %s, %s, %s, %s, %s,"
                            f" 'proposed', %s, %s FROM {self.schema}.rebate_accounts a"
                            " WHERE a.account_id = %s ON CONFLICT DO NOTHING",
                            (payload.account_id, payload.settlement_no, payload.through_period, payload.entitled,
                             payload.settled_before, payload.amount, payload.mode, payload.free_goods_gtin,
                             payload.free_goods_quantity, payload.free_goods_unit_price, payload.proposed_by,
                             envelope.time, payload.account_id))
            case RebateSettlementApproved() | RebateSettlementRejected():
                status = "approved" if isinstance(payload, RebateSettlementApproved) else "rejected"
                cur.execute(f"UPDATE {self.schema}.rebate_settlements SET status = %s, decided_by = %s,"
                            " decided_at = %s, reason = %s WHERE account_id = %s AND settlement_no = %s",
                            (status, envelope.actor, envelope.time, envelope.reason, payload.account_id,
                             payload.settlement_no))


class PromotionList(Projection):
    name = "channel-promotions"
    subscribes_to = ("channel",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.promotions (promotion_id uuid PRIMARY KEY, number text NOT NULL,"
        " name text NOT NULL, rule_id text NOT NULL, budget numeric(18,2) NOT NULL, valid_from date NOT NULL,"
        " valid_to date NOT NULL, scope jsonb NOT NULL, effect jsonb NOT NULL, owner text NOT NULL,"
        " created_at timestamptz NOT NULL)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        if isinstance(payload, PromotionCreated):
            cur.execute(f"INSERT INTO {self.schema}.promotions VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                        " ON CONFLICT DO NOTHING",
                        (payload.promotion_id, payload.number, payload.name, payload.rule_id, payload.budget,
                         payload.valid_from, payload.valid_to, Jsonb(payload.scope), Jsonb(payload.effect),
                         payload.owner, envelope.time))
