"""Checks a sale passes before the order is accepted, not discovered at shipping (China GSP): the customer is
registered, no product is blocked for sale and each has a registration certificate valid on the delivery day, and a
distributor the goods go through holds the licence each product's class needs on that day. Pure: the facts come in
through `SaleFacts`."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from shared.domain.certificates import certificate_problem
from shared.domain.licences import missing_licence
from shared.domain.rules import InvalidReference, RuleViolation


@dataclass(frozen=True)
class ItemFacts:
    gtin: str
    name: str
    device_class: int
    certificate: dict[str, Any] | None
    sales_blocked: bool = False


@dataclass(frozen=True)
class DistributorFacts:
    distributor_id: UUID
    name: str
    licences: list[dict[str, Any]] = field(default_factory=list)


class SaleFacts(Protocol):
    """The order service's copies of what channel and inventory know (projections), asked by the rules."""

    def hospital_known(self, hospital_id: UUID) -> bool: ...
    def hospital_province(self, hospital_id: UUID) -> str | None: ...
    def distributor(self, distributor_id: UUID) -> DistributorFacts | None: ...
    def item(self, gtin: str) -> ItemFacts | None: ...


def check_sale(facts: SaleFacts, hospital_id: UUID, distributor_id: UUID | None, gtins: list[str], on: date,
               certificate_grace_until: date | None = None) -> None:
    """Raises the first rule the sale breaks (nothing is stored then)."""
    if not facts.hospital_known(hospital_id):
        raise InvalidReference("hospital_id", "registered-hospital", "register the hospital in the channel service first",
                               f"no hospital {hospital_id} is registered in the channel")
    distributor = None
    if distributor_id is not None:
        distributor = facts.distributor(distributor_id)
        if distributor is None:
            raise InvalidReference("ship_to_distributor_id", "registered-distributor",
                                   "register the distributor in the channel service first",
                                   f"no distributor {distributor_id} is registered in the channel")
    for n, gtin in enumerate(gtins):
        item = facts.item(gtin)
        if item is None:
            raise InvalidReference(f"lines[{n}].gtin", "registered-item", "register the item in inventory first",
                                   f"no item is registered with GTIN {gtin}")
        if item.sales_blocked:
            raise RuleViolation("item-sellable", f"lines[{n}]: {item.name} ({gtin}) is blocked for sale",
                                f"lines[{n}].gtin", gtin=gtin)
        if problem := certificate_problem(item.certificate, on, certificate_grace_until):
            raise RuleViolation("registration-certificate-valid", f"lines[{n}]: {item.name} ({gtin}) cannot be sold"
                                f" for delivery on {on}: {problem}", f"lines[{n}].gtin", gtin=gtin)
        if distributor is not None and (missing := missing_licence(distributor.licences, item.device_class, on)):
            raise RuleViolation("distributor-licensed", f"lines[{n}]: {distributor.name} may not distribute"
                                f" {item.name} (class {item.device_class}) on {on}: it has no valid {missing} on"
                                " record", "ship_to_distributor_id", gtin=gtin, device_class=item.device_class)
