"""The items traceability reports on: name, model (型号规格), manufacturer (生产企业) and registration certificate
(注册证), from inventory's item master events. Part of the lot catalogue projection (projections/lots.py), which
already follows inventory's topic: a regulator's recall report names the product of every lot in it.

An item registered before inventory recorded model and manufacturer has neither; reports then name the
certificate's holder (注册人) as the manufacturer.
"""

from psycopg import Cursor

from shared.events.inventory import ItemRegistered, RegistrationCertificateSet

ITEMS_DDL = [
    "CREATE TABLE IF NOT EXISTS {schema}.items (gtin char(14) PRIMARY KEY, name text, device_class int, model text,"
    " manufacturer text, certificate_number text, certificate_holder text, certificate_valid_from date,"
    " certificate_valid_to date)",
]


def apply_item_event(cur: Cursor, schema: str, payload: ItemRegistered | RegistrationCertificateSet) -> None:
    # Either may arrive first after a rebuild of only part of the topic: each sets its own columns.
    if isinstance(payload, ItemRegistered):
        cur.execute(
            f"INSERT INTO {schema}.items AS i (gtin, name, device_class, model, manufacturer)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (gtin) DO UPDATE SET name = EXCLUDED.name,"
            " device_class = EXCLUDED.device_class, model = EXCLUDED.model, manufacturer = EXCLUDED.manufacturer",
            (payload.gtin, payload.name, payload.device_class, payload.model, payload.manufacturer))
    else:
        cur.execute(
            f"INSERT INTO {schema}.items AS i (gtin, certificate_number, certificate_holder, certificate_valid_from,"
            " certificate_valid_to) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (gtin) DO UPDATE SET"
            " certificate_number = EXCLUDED.certificate_number, certificate_holder = EXCLUDED.certificate_holder,"
            " certificate_valid_from = EXCLUDED.certificate_valid_from,"
            " certificate_valid_to = EXCLUDED.certificate_valid_to",
            (payload.gtin, payload.number, payload.holder, payload.valid_from, payload.valid_to))
