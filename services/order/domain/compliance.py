"""Checks a sale passes before the order is accepted, not discovered at shipping (China GSP): the customer is
registered and active and holds a practice licence (医疗机构执业许可证) valid on the delivery day, no product is
blocked for sale and each has a registration certificate valid on the delivery day, and a distributor the goods go
through is active and holds the licence each product's class needs on that day. Pure: the facts come in through
`SaleFacts`."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from shared.domain.authorizations import authorization_problem
from shared.domain.certificates import certificate_problem
from shared.domain.licences import missing_licence
from shared.domain.validity import valid_on
from shared.domain.rules import InvalidReference, RuleViolation


@dataclass(frozen=True)
class ItemFacts:
    gtin: str
    name: str
    device_class: int
    certificate: dict[str, Any] | None
    sales_blocked: bool = False
    product_group: str | None = None


@dataclass(frozen=True)
class DistributorFacts:
    distributor_id: UUID
    name: str
    licences: list[dict[str, Any]] = field(default_factory=list)
    active: bool = True
    authorizations: list[dict[str, Any]] = field(default_factory=list)  # 授权书 (shared/domain/authorizations.py)


@dataclass(frozen=True)
class HospitalFacts:
    hospital_id: UUID
    name: str
    licences: list[dict[str, Any]] = field(default_factory=list)  # 医疗机构执业许可证
    active: bool = True


PRACTICE_LICENCE = "practice_licence"


class SaleFacts(Protocol):
    """The order service's copies of what channel and inventory know (projections), asked by the rules."""

    def hospital_known(self, hospital_id: UUID) -> bool: ...
    # The hospitals of this name (as the channel compares names: NFKC, case-folded, spaces collapsed): an import
    # names a hospital as the old system did (services/order/imports.py).
    def hospitals_named(self, name_key: str) -> list[UUID]: ...
    def hospital_province(self, hospital_id: UUID) -> str | None: ...
    def hospital_city(self, hospital_id: UUID) -> str | None: ...
    def hospital_standing(self, hospital_id: UUID) -> HospitalFacts | None: ...
    def distributor(self, distributor_id: UUID) -> DistributorFacts | None: ...
    def item(self, gtin: str) -> ItemFacts | None: ...


def check_sale(facts: SaleFacts, hospital_id: UUID, distributor_id: UUID | None, gtins: list[str], on: date,
               certificate_grace_until: date | None = None, hospital_licence_required: bool = True,
               authorization_required: bool = True) -> None:
    """Raises the first rule the sale breaks (nothing is stored then). `hospital_licence_required`: a hospital with
    no practice licence on record is refused too (one whose licences have all lapsed always is);
    `authorization_required`: so is a distributor with no authorization on record (one with authorizations is
    always held to them)."""
    if not facts.hospital_known(hospital_id):
        raise InvalidReference("hospital_id", "registered-hospital", "register the hospital in the channel service first",
                               f"no hospital {hospital_id} is registered in the channel")
    check_hospital(facts.hospital_standing(hospital_id), on, hospital_licence_required)
    distributor = None
    if distributor_id is not None:
        distributor = facts.distributor(distributor_id)
        if distributor is None:
            raise InvalidReference("ship_to_distributor_id", "registered-distributor",
                                   "register the distributor in the channel service first",
                                   f"no distributor {distributor_id} is registered in the channel")
        if not distributor.active:
            raise RuleViolation("customer-active", f"{distributor.name} is deactivated: no orders go through it",
                                "ship_to_distributor_id")
    for n, gtin in enumerate(gtins):
        item = _sellable_item(facts, n, gtin, distributor, on, certificate_grace_until)
        if distributor is not None and (distributor.authorizations or authorization_required) and (
                problem := authorization_problem(distributor.authorizations, gtin, item.product_group,
                                                 facts.hospital_province(hospital_id), hospital_id, on,
                                                 facts.hospital_city(hospital_id))):
            raise RuleViolation("distributor-authorized", f"lines[{n}]: {distributor.name} is not authorized to sell"
                                f" {item.name} ({gtin}) to this hospital on {on}: {problem}",
                                "ship_to_distributor_id", gtin=gtin)


def _sellable_item(facts: SaleFacts, n: int, gtin: str, distributor: DistributorFacts | None, on: date,
                   certificate_grace_until: date | None) -> ItemFacts:
    """The item of line n, registered, not blocked, its certificate valid on the day, and the distributor (if any)
    licensed for its class; else the rule it breaks is raised."""
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
    return item


def free_goods_problem(facts: SaleFacts, distributor_id: UUID, gtin: str, on: date,
                       certificate_grace_until: date | None = None) -> str | None:
    """Why free goods (货补) of the item may not go to the distributor on the day — unknown or deactivated, the
    item unsellable, or the distributor unlicensed for its class — or None. No hospital and so no authorization is
    judged: the goods are the distributor's stock until its sell-out reports them, where authorizations are."""
    distributor = facts.distributor(distributor_id)
    if distributor is None:
        return f"no distributor {distributor_id} is registered in the channel"
    if not distributor.active:
        return f"{distributor.name} is deactivated"
    try:
        _sellable_item(facts, 0, gtin, distributor, on, certificate_grace_until)
    except RuleViolation as broken:
        return broken.detail
    return None


def check_hospital(hospital: HospitalFacts | None, on: date, licence_required: bool) -> None:
    """The hospital buys only while active, and with a practice licence (医疗机构执业许可证) valid on the delivery day:
    one on record that has lapsed always refuses the sale; none on record does when `licence_required`."""
    if hospital is None:
        return
    if not hospital.active:
        raise RuleViolation("customer-active", f"{hospital.name} is deactivated: it takes no new orders", "hospital_id")
    practice = [d for d in hospital.licences if d["document_type"] == PRACTICE_LICENCE]
    if not practice and not licence_required:
        return
    if not any(valid_on(d["valid_from"], d["valid_to"], on) for d in practice):
        held = "; ".join(f"{d['number']} valid {d['valid_from']} to {d['valid_to']}" for d in practice) or "none on record"
        raise RuleViolation("hospital-licensed", f"{hospital.name} holds no 医疗机构执业许可证 (practice licence) valid"
                            f" on {on} ({held}): record a valid one in the channel service", "hospital_id",
                            hospital_id=str(hospital.hospital_id))
