"""Traceability's read models as master data: the lots it knows (and their dates), the parties registered in the
channel, and the products (item name, model, manufacturer, registration certificate) its regulator reports name."""

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from services.traceability.domain.terminal_matching import Terminal, normalized, without_branch
from shared.domain.rules import InvalidReference
from shared.platform.read_models import ReadModels

# Received or assembled (the lot catalogue), or seen shipped or consumed into a kit by the lineage: the two
# projections run apart, and either knowing the lot proves it exists.
_KNOWN_LOTS = """
SELECT a.gtin::text AS gtin, a.lot FROM unnest(%s::char(14)[], %s::text[]) AS a(gtin, lot)
WHERE EXISTS (SELECT 1 FROM {schema}.lots l WHERE l.gtin = a.gtin AND l.lot = a.lot)
   OR EXISTS (SELECT 1 FROM {schema}.lot_consignees e WHERE e.gtin = a.gtin AND e.lot = a.lot)
   OR EXISTS (SELECT 1 FROM {schema}.lot_links k WHERE k.component_gtin = a.gtin AND k.component_lot = a.lot)
"""

MAX_LOTS_IN_RANGE = 1000


@dataclass(frozen=True)
class Product:
    gtin: str
    name: str | None = None
    model: str | None = None
    manufacturer: str | None = None  # the item's, else its certificate holder's (注册人)
    certificate_number: str | None = None
    certificate_valid_to: date | None = None


def known_lots(read: ReadModels, lots: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (GTIN, lot) traceability knows: received, assembled or shipped."""
    rows = read.all(_KNOWN_LOTS, ([g for g, _ in lots], [lot for _, lot in lots]))
    return {(r["gtin"], r["lot"]) for r in rows}


def registered(read: ReadModels, kind: str, ids: list[UUID]) -> set[UUID]:
    """Which of the ids are registered consignees of this kind ("hospital" or "distributor")."""
    return {r["consignee_id"] for r in read.all(
        "SELECT consignee_id FROM {schema}.consignees WHERE kind = %s AND consignee_id = ANY(%s)",
        (kind, list(set(ids))))}


def products(read: ReadModels, gtins: list[str]) -> dict[str, Product]:
    """The product of each GTIN; one the item master never described has only its GTIN."""
    rows = {r["gtin"]: r for r in read.all(
        "SELECT gtin::text AS gtin, name, model, coalesce(manufacturer, certificate_holder) AS manufacturer,"
        " certificate_number, certificate_valid_to FROM {schema}.items WHERE gtin = ANY(%s)", (sorted(set(gtins)),))}
    return {g: Product(**rows[g]) if g in rows else Product(gtin=g) for g in gtins}


@dataclass(frozen=True)
class DateRange:
    """Bounds on a lot's expiry and production dates, each included; None: unbounded."""

    expiry_from: date | None = None
    expiry_to: date | None = None
    produced_from: date | None = None
    produced_to: date | None = None


def lots_in_range(read: ReadModels, gtin: str, dates: DateRange) -> list[dict]:
    """The item's lots made or expiring in the range, earliest expiry first; more than MAX_LOTS_IN_RANGE is a
    question too wide to answer at once."""
    conditions = {"expiry >= %s": dates.expiry_from, "expiry <= %s": dates.expiry_to,
                  "production_date >= %s": dates.produced_from, "production_date <= %s": dates.produced_to}
    chosen = {c: v for c, v in conditions.items() if v is not None}
    rows = read.all("SELECT gtin::text AS gtin, lot, expiry, production_date FROM {schema}.lots WHERE gtin = %s AND "
                    + " AND ".join(chosen) + " ORDER BY expiry, lot LIMIT %s", (gtin, *chosen.values(),
                                                                              MAX_LOTS_IN_RANGE + 1))
    if len(rows) > MAX_LOTS_IN_RANGE:
        raise InvalidReference("expiry_to", "range-too-wide", f"more than {MAX_LOTS_IN_RANGE} lots: narrow the range")
    return rows


def terminals(read: ReadModels, names: list[str]) -> list[Terminal]:
    """The hospitals any of the reported names may be (by name, normalised name, or without a branch), each with all
    its names: the candidates the matcher decides among (domain/terminal_matching.py)."""
    wanted = sorted({n.strip() for n in names})
    keys = sorted({normalized(n) for n in wanted} | {without_branch(n) for n in wanted})
    rows = read.all(
        "SELECT t.hospital_id, t.name, t.is_alias FROM {schema}.terminal_names t WHERE t.hospital_id IN ("
        " SELECT hospital_id FROM {schema}.terminal_names WHERE name = ANY(%s) OR name_key = ANY(%s)"
        " OR hospital_id::text = ANY(%s)) ORDER BY t.hospital_id, t.is_alias, t.name", (wanted, keys, wanted))
    by_hospital: dict[UUID, dict] = {}
    for row in rows:
        entry = by_hospital.setdefault(row["hospital_id"], {"name": None, "aliases": []})
        if row["is_alias"]:
            entry["aliases"].append(row["name"])
        else:
            entry["name"] = row["name"]
    return [Terminal(hospital_id=h, name=e["name"] or "", aliases=tuple(e["aliases"]))
            for h, e in by_hospital.items()]
