"""What the order service checks a sale against, learned from other services' events (never their tables):
items with their device class and registration certificate (inventory), and distributors' licences (channel)."""

from psycopg import Cursor
from psycopg.types.json import Jsonb

from shared.events import CloudEvent, EventPayload
from shared.events.channel import DistributorAuthorizationRevoked, DistributorAuthorized, DistributorLicenceRecorded
from shared.events.inventory import ItemRegistered, ProductGroupSet, RegistrationCertificateSet, SalesBlockSet
from shared.platform.consumer import Projection


class KnownItems(Projection):
    name = "order-known-items"
    subscribes_to = ("inventory",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.known_items (gtin char(14) PRIMARY KEY, name text NOT NULL,"
        " device_class int NOT NULL, certificate jsonb)",
        # Added for pricing: items registered before show none (the 13% devices carry) until a rebuild.
        "ALTER TABLE {schema}.known_items ADD COLUMN IF NOT EXISTS vat_rate numeric(5,4)",
        "ALTER TABLE {schema}.known_items ADD COLUMN IF NOT EXISTS sales_blocked boolean NOT NULL DEFAULT false",
        "ALTER TABLE {schema}.known_items ADD COLUMN IF NOT EXISTS product_group text",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case ItemRegistered():
                cur.execute(f"INSERT INTO {self.schema}.known_items (gtin, name, device_class, vat_rate)"
                            " VALUES (%s, %s, %s, %s) ON CONFLICT (gtin) DO NOTHING",
                            (payload.gtin, payload.name, payload.device_class, payload.vat_rate))
            case ProductGroupSet():
                cur.execute(f"UPDATE {self.schema}.known_items SET product_group = %s WHERE gtin = %s",
                            (payload.group, payload.gtin))
            case SalesBlockSet():
                cur.execute(f"UPDATE {self.schema}.known_items SET sales_blocked = %s WHERE gtin = %s",
                            (payload.blocked, payload.gtin))
            case RegistrationCertificateSet():
                certificate = {"number": payload.number, "valid_from": payload.valid_from.isoformat(),
                               "valid_to": payload.valid_to.isoformat()}
                cur.execute(f"UPDATE {self.schema}.known_items SET certificate = %s WHERE gtin = %s",
                            (Jsonb(certificate), payload.gtin))


class DistributorLicences(Projection):
    name = "order-distributor-licences"
    subscribes_to = ("channel",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.distributor_licences (distributor_id uuid NOT NULL,"
        " document_type text NOT NULL, number text NOT NULL, valid_from date NOT NULL, valid_to date NOT NULL,"
        " PRIMARY KEY (distributor_id, document_type, number))",
        # Added with authorizations (授权书): what each distributor may sell where, and when.
        "CREATE TABLE IF NOT EXISTS {schema}.distributor_authorizations (distributor_id uuid NOT NULL,"
        " number text NOT NULL, gtins text[] NOT NULL, product_groups text[] NOT NULL, provinces text[] NOT NULL,"
        " hospitals uuid[] NOT NULL, valid_from date NOT NULL, valid_to date NOT NULL,"
        " revoked boolean NOT NULL DEFAULT false, PRIMARY KEY (distributor_id, number))",
        # Cities came later: no authorization named one before (no rebuild needed).
        "ALTER TABLE {schema}.distributor_authorizations ADD COLUMN IF NOT EXISTS cities jsonb NOT NULL"
        " DEFAULT '[]'",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        if isinstance(payload, DistributorAuthorized):
            cur.execute(f"INSERT INTO {self.schema}.distributor_authorizations (distributor_id, number, gtins,"
                        " product_groups, provinces, hospitals, valid_from, valid_to, cities)"
                        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                        (payload.distributor_id, payload.number, payload.gtins, payload.product_groups,
                         payload.provinces, payload.hospitals, payload.valid_from, payload.valid_to,
                         Jsonb([c.model_dump() for c in payload.cities])))
        if isinstance(payload, DistributorAuthorizationRevoked):
            cur.execute(f"UPDATE {self.schema}.distributor_authorizations SET revoked = true"
                        " WHERE distributor_id = %s AND number = %s", (payload.distributor_id, payload.number))
        if isinstance(payload, DistributorLicenceRecorded):  # a renewal (same type and number) replaces the document
            cur.execute(
                f"INSERT INTO {self.schema}.distributor_licences VALUES (%s, %s, %s, %s, %s)"
                " ON CONFLICT (distributor_id, document_type, number) DO UPDATE SET valid_from = EXCLUDED.valid_from,"
                " valid_to = EXCLUDED.valid_to",
                (payload.distributor_id, payload.document_type, payload.number, payload.valid_from, payload.valid_to))
