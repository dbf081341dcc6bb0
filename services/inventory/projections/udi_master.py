"""The item master as the NMPA UDI database (医疗器械唯一标识数据库) asks for it: per item (its base GTIN, the
最小销售单元产品标识) the product name, model/specification, registration certificate and its holder, the
medical-insurance consumables code, how production identifiers are carried (lot, serial), storage temperatures, and
its packaging levels (each level's DI and what it holds). Read by GET /items/udi-submission
(documents/udi_submission.py lays out the file)."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.inventory import (
    ItemRegistered, MedicalInsuranceCodeSet, PackagingLevelAdded, RegistrationCertificateSet, StorageConditionsSet,
    TrackingSet,
)
from shared.platform.consumer import Projection


class UdiMaster(Projection):
    name = "inventory-udi-master"
    subscribes_to = ("inventory",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.udi_items (gtin char(14) PRIMARY KEY, item_id uuid NOT NULL,"
        " name text NOT NULL, device_class int NOT NULL, model text, manufacturer text, certificate_number text,"
        " certificate_holder text, insurance_code text, lot_tracked boolean NOT NULL DEFAULT true,"
        " serial_tracked boolean NOT NULL DEFAULT false, implant boolean NOT NULL DEFAULT false,"
        " min_temperature_c double precision, max_temperature_c double precision)",
        "CREATE TABLE IF NOT EXISTS {schema}.udi_packaging (gtin char(14) NOT NULL, level text NOT NULL,"
        " packaging_gtin char(14) NOT NULL, quantity int NOT NULL, PRIMARY KEY (gtin, level))",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        items = f"{self.schema}.udi_items"
        match payload:
            case ItemRegistered():
                cur.execute(f"INSERT INTO {items} (gtin, item_id, name, device_class, model, manufacturer)"
                            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (gtin) DO NOTHING",
                            (payload.gtin, payload.item_id, payload.name, payload.device_class, payload.model,
                             payload.manufacturer))
            case RegistrationCertificateSet():
                cur.execute(f"UPDATE {items} SET certificate_number = %s, certificate_holder = %s WHERE gtin = %s",
                            (payload.number, payload.holder, payload.gtin))
            case MedicalInsuranceCodeSet():
                cur.execute(f"UPDATE {items} SET insurance_code = %s WHERE gtin = %s", (payload.code, payload.gtin))
            case TrackingSet():
                cur.execute(f"UPDATE {items} SET lot_tracked = %s, serial_tracked = %s, implant = %s WHERE gtin = %s",
                            (payload.lot_tracked, payload.serial_tracked, payload.implant, payload.gtin))
            case StorageConditionsSet():
                cur.execute(f"UPDATE {items} SET min_temperature_c = %s, max_temperature_c = %s WHERE gtin = %s",
                            (payload.min_temperature_c, payload.max_temperature_c, payload.gtin))
            case PackagingLevelAdded():
                cur.execute(f"INSERT INTO {self.schema}.udi_packaging (gtin, level, packaging_gtin, quantity)"
                            " VALUES (%s, %s, %s, %s) ON CONFLICT (gtin, level) DO NOTHING",
                            (payload.gtin, payload.level, payload.packaging_gtin, payload.quantity))
