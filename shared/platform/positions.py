"""Where consumers and relays record how far they got, in the same database as what they changed.

The database, not Kafka's committed offset, is the truth: a consumer seeks to the offset stored
here, and stores the next one in the same transaction as the read-model change or the new events.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from psycopg import Cursor, sql


@dataclass(frozen=True)
class ConsumerPosition:
    consumer: str
    topic: str
    partition: int
    kafka_offset: int
    source_position: int


def create_positions_tables(schema: str) -> list[sql.Composable]:
    # No CREATE SCHEMA here: the application role, which makes these tables, may not create schemas; the schema is
    # made by the owner role beforehand (db.ddl_lock).
    s = sql.Identifier(schema)
    return [
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {}.consumer_positions ("
            " consumer text NOT NULL, topic text NOT NULL, partition int NOT NULL,"
            " kafka_offset bigint NOT NULL, source_position bigint NOT NULL,"
            " updated_at timestamptz NOT NULL DEFAULT now(),"
            " PRIMARY KEY (consumer, topic, partition))"
        ).format(s),
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {}.relay_positions ("
            " topic text PRIMARY KEY, position bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())"
        ).format(s),
    ]


def save_positions(cur: Cursor, schema: str, positions: Iterable[ConsumerPosition]) -> None:
    # Positions only move forward: a late writer can never rewind what another already applied.
    statement = sql.SQL(
        "INSERT INTO {}.consumer_positions AS p (consumer, topic, partition, kafka_offset, source_position)"
        " VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (consumer, topic, partition) DO UPDATE SET"
        " kafka_offset = GREATEST(p.kafka_offset, EXCLUDED.kafka_offset),"
        " source_position = GREATEST(p.source_position, EXCLUDED.source_position), updated_at = now()"
    ).format(sql.Identifier(schema))
    for p in positions:
        cur.execute(statement, (p.consumer, p.topic, p.partition, p.kafka_offset, p.source_position))


def load_positions(cur: Cursor, schema: str, consumer: str) -> dict[tuple[str, int], tuple[int, int]]:
    cur.execute(
        sql.SQL("SELECT topic, partition, kafka_offset, source_position FROM {}.consumer_positions WHERE consumer = %s").format(
            sql.Identifier(schema)
        ),
        (consumer,),
    )
    return {(row[0], row[1]): (row[2], row[3]) for row in _tuples(cur.fetchall())}


def _tuples(rows: list) -> list[tuple]:
    return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in rows]
