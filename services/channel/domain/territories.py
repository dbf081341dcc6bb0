"""The register of distributors' authorized territories: one aggregate for the company, so that two channel
managers granting overlapping exclusive authorizations at the same time cannot both succeed (the second is a
version conflict), and an exclusive authorization is checked against every other distributor's.

Two grants of different distributors may not overlap where either is exclusive: overlap is a shared day, a shared
product (the same GTIN or the same product group) and a shared territory (the same province, the same city, the same named
hospital, a city or a named hospital inside the other's province, or a named hospital inside the other's city)."""

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate

TERRITORY_REGISTER_ID = uuid5(NAMESPACE_URL, "erp:authorized-territories")


def overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two grants share a day, a product and a territory. `hospital_provinces`: the province of each named
    hospital, so that a province and a hospital inside it overlap."""
    if a["valid_to"] < b["valid_from"] or b["valid_to"] < a["valid_from"]:
        return False
    if not (set(a["gtins"]) & set(b["gtins"]) or set(a["product_groups"]) & set(b["product_groups"])):
        return False
    return bool(set(a["provinces"]) & _provinces_within(b) or set(b["provinces"]) & _provinces_within(a)
                or set(a["hospitals"]) & set(b["hospitals"]) or _cities(a) & _cities_within(b)
                or _cities(b) & _cities_within(a))


def _provinces_within(grant: dict[str, Any]) -> set[str]:
    """Every province the grant reaches into: its own, its cities', its named hospitals'."""
    return (set(grant["provinces"]) | set(grant.get("hospital_provinces", {}).values())
            | {c["province"] for c in grant.get("cities", [])})


def _cities(grant: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["province"], c["city"]) for c in grant.get("cities", [])}


def _cities_within(grant: dict[str, Any]) -> set[tuple[str, str]]:
    """Every city the grant reaches into: its own, and its named hospitals' (where their city is known)."""
    return _cities(grant) | {(p, c) for p, c in grant.get("hospital_cities", {}).values() if c}


class TerritoryRegister(TracedAggregate):
    @event("Opened")
    def __init__(self) -> None:
        self.grants: list[dict[str, Any]] = []

    @staticmethod
    def create_id() -> UUID:
        return TERRITORY_REGISTER_ID

    def claim(self, distributor_id: UUID, grant: dict[str, Any]) -> None:
        """Register a distributor's grant, or RuleViolation naming the other distributor's grant it overlaps where
        either is exclusive (nothing recorded then)."""
        for other in self.grants:
            if other["distributor_id"] == str(distributor_id) or other.get("revoked"):
                continue
            if (grant["exclusive"] or other["exclusive"]) and overlap(grant, other):
                raise RuleViolation("authorization-exclusive-overlap", f"distributor {other['distributor_id']} holds"
                                    f" authorization {other['number']} ({'exclusive' if other['exclusive'] else 'not exclusive'},"
                                    f" {other['valid_from']} to {other['valid_to']}) for some of these products in this"
                                    " territory: an exclusive authorization shares it with nobody", "exclusive",
                                    distributor_id=other["distributor_id"], number=other["number"])
        self._claimed(distributor_id=distributor_id, grant=grant)

    @event("Claimed")
    def _claimed(self, distributor_id: UUID, grant: dict[str, Any]) -> None:
        self.grants.append({**grant, "distributor_id": str(distributor_id)})

    def release(self, distributor_id: UUID, number: str) -> bool:
        """A revoked grant no longer holds its territory; False when there is nothing to release."""
        if not any(g["distributor_id"] == str(distributor_id) and g["number"] == number and not g.get("revoked")
                   for g in self.grants):
            return False
        self._released(distributor_id=distributor_id, number=number)
        return True

    @event("Released")
    def _released(self, distributor_id: UUID, number: str) -> None:
        for grant in self.grants:
            if grant["distributor_id"] == str(distributor_id) and grant["number"] == number:
                grant["revoked"] = True


def grant_of(number: str, gtins: list[str], product_groups: list[str], provinces: list[str],
             hospital_provinces: dict[str, str], valid_from: date, valid_to: date, exclusive: bool,
             cities: list[dict[str, str]] | None = None,
             hospital_cities: dict[str, tuple[str, str | None]] | None = None) -> dict[str, Any]:
    """A grant as the register keeps it (cities and the named hospitals' cities only when there are any: grants
    registered before cities were kept have neither)."""
    grant = {"number": number, "gtins": sorted(set(gtins)), "product_groups": sorted(set(product_groups)),
             "provinces": sorted(set(provinces)), "hospitals": sorted(hospital_provinces),
             "hospital_provinces": dict(sorted(hospital_provinces.items())), "valid_from": valid_from,
             "valid_to": valid_to, "exclusive": exclusive}
    if cities:
        grant["cities"] = sorted(cities, key=lambda c: (c["province"], c["city"]))
    if hospital_cities and any(city for _, city in hospital_cities.values()):
        grant["hospital_cities"] = {h: list(place) for h, place in sorted(hospital_cities.items()) if place[1]}
    return grant
