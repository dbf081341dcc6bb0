"""Removing everything of one namespace (ERP_NAMESPACE): its schemas and its topics. For tests and benchmarks,
which each work in a namespace of their own; never pointed at the empty (production) namespace."""

from aiokafka.admin import AIOKafkaAdminClient
import psycopg
from psycopg import sql

from shared.platform.db import Roles
from shared.platform.settings import Settings


async def drop_namespace(settings: Settings) -> None:
    if not settings.namespace:
        raise ValueError("refusing to drop the unnamed namespace: it holds the real data")
    # As the owner: it owns the schemas (and is a member of the application role, which owns what a rebuild made).
    with psycopg.connect(Roles.of(settings).owner, autocommit=True) as conn:
        schemas = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                               (settings.namespace.replace("_", r"\_") + "%",)).fetchall()
        for (schema,) in schemas:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(settings.namespace)]
        if topics:
            await admin.delete_topics(topics)
    finally:
        await admin.close()
