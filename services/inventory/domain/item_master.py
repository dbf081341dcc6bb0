"""Master data of a stock item (`item.master`): its UDI-DIs per packaging level, registration certificate (注册证),
storage conditions, how it is tracked (lot, serial or both; implant or not) and its national medical-insurance
consumables code (医保耗材编码).

Each command checks its rules, then records an event in the item's history: replays never re-judge. Repeating a
command with exactly what is recorded records nothing (and returns False). Items registered before master data
existed have none of it: lot-tracked, not serial-tracked, not an implant; no certificate, storage conditions or
packaging levels.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.inventory.domain.insurance_code import check_insurance_code
from services.inventory.domain.parts import ItemEvent, ItemPart, formerly
from shared.domain.rules import InvalidReference, RuleViolation

# Packaging levels above the base unit (the base GTIN is the "each" level, quantity 1), in containment order.
PACKAGING_LEVELS = ("box", "case")
UNTRACKED_DEFAULT = {"lot_tracked": True, "serial_tracked": False, "implant": False}
_FORMERLY = "services.inventory.domain.item_master:ItemMasterData."  # when master data was a base class of the item


class ItemMasterError(RuleViolation):
    def __init__(self, rule: str, message: str, gtin: str) -> None:
        super().__init__(rule, message, gtin=gtin)


@dataclass
class ItemMaster(ItemPart):
    packaging_levels: dict[str, dict[str, Any]] = field(default_factory=dict)  # level -> {"gtin", "quantity"}
    registration_certificate: dict[str, Any] | None = None
    storage_conditions: dict[str, Any] | None = None
    recorded_tracking: dict[str, bool] | None = None  # None: never set, `tracking` answers the default
    sales_blocked: bool = False  # blocked for sale (a registration problem, a field action): orders refuse it
    product_group: str | None = None  # e.g. 冠脉支架: pricing rules may select by it
    insurance_code: str | None = None  # 医保耗材编码 (domain/insurance_code.py), None: none on record

    @property
    def tracking(self) -> dict[str, bool]:
        return self.recorded_tracking or UNTRACKED_DEFAULT

    def gtins(self) -> dict[str, tuple[str, int]]:
        """Every UDI-DI of the item: GTIN -> (level, units of the base item)."""
        levels = {p["gtin"]: (level, p["quantity"]) for level, p in self.packaging_levels.items()}
        return {self.item.gtin: ("each", 1), **levels}

    def add_packaging_level(self, level: str, gtin: str, quantity: int) -> bool:
        """A box or case GTIN and how many base units it holds. A GTIN's quantity never changes (GS1), so a level
        once defined stays; a case holds a whole number of boxes."""
        if level not in PACKAGING_LEVELS:
            raise InvalidReference("level", "packaging-level", f"a packaging level is one of {', '.join(PACKAGING_LEVELS)}")
        current = self.packaging_levels.get(level)
        if current == {"gtin": gtin, "quantity": quantity}:
            return False
        if current is not None:
            self._refuse("packaging-level-defined", f"the {level} level of {self.item.gtin} is already GTIN"
                                                   f" {current['gtin']} with {current['quantity']} units: a GTIN's"
                                                   " quantity never changes")
        if gtin in self.gtins():
            self._refuse("packaging-gtin-unique", f"GTIN {gtin} is already a UDI-DI of item {self.item.gtin}")
        if quantity < 2:
            self._refuse("packaging-quantity", f"a {level} holds at least 2 units")
        box, case = self.packaging_levels.get("box"), self.packaging_levels.get("case")
        if level == "case" and box is not None and (quantity <= box["quantity"] or quantity % box["quantity"]):
            self._refuse("packaging-quantity", f"a case holds a whole number of boxes of {box['quantity']}"
                                               f" (more than one), not {quantity} units")
        if level == "box" and case is not None and (quantity >= case["quantity"] or case["quantity"] % quantity):
            self._refuse("packaging-quantity", f"a box holds a whole fraction of the case's {case['quantity']}"
                                               f" units, not {quantity}")
        self.record(PackagingLevelAdded, level=level, packaging_gtin=gtin, quantity=quantity)
        return True

    def set_registration_certificate(self, number: str, holder: str, valid_from: date, valid_to: date,
                                     scope: str | None = None) -> bool:
        if valid_to < valid_from:
            self._refuse("certificate-validity", "valid_to must not be before valid_from")
        certificate = {"number": number, "holder": holder, "valid_from": valid_from, "valid_to": valid_to, "scope": scope}
        if certificate == self.registration_certificate:
            return False
        self.record(RegistrationCertificateSet, **certificate)
        return True

    def set_storage_conditions(self, min_temperature_c: float | None, max_temperature_c: float | None,
                               description: str | None = None) -> bool:
        if min_temperature_c is not None and max_temperature_c is not None and min_temperature_c > max_temperature_c:
            self._refuse("storage-temperature-range", "min_temperature_c must not be above max_temperature_c")
        conditions = {"min_temperature_c": min_temperature_c, "max_temperature_c": max_temperature_c,
                      "description": description}
        if conditions == self.storage_conditions:
            return False
        self.record(StorageConditionsSet, **conditions)
        return True

    def set_tracking(self, lot_tracked: bool, serial_tracked: bool, implant: bool) -> bool:
        if not (lot_tracked or serial_tracked):
            self._refuse("tracking-required", "an item is lot-tracked, serial-tracked or both")
        tracking = {"lot_tracked": lot_tracked, "serial_tracked": serial_tracked, "implant": implant}
        if tracking == self.recorded_tracking:
            return False
        self.record(TrackingSet, **tracking)
        return True

    def set_sales_block(self, blocked: bool) -> bool:
        """Block (or unblock) the item for sale, the reason being the event's; False when it is so already."""
        if blocked == self.sales_blocked:
            return False
        self.record(SalesBlockSet, blocked=blocked)
        return True

    def set_product_group(self, group: str | None) -> bool:
        """The product group pricing rules may select by (None: none); False when it is so already."""
        if group == self.product_group:
            return False
        self.record(ProductGroupSet, group=group)
        return True

    def set_insurance_code(self, code: str | None) -> bool:
        """The national medical-insurance consumables code (医保耗材编码), its structure checked (None: none on
        record); False when it is so already."""
        if code is not None:
            check_insurance_code(code)
        if code == self.insurance_code:
            return False
        self.record(MedicalInsuranceCodeSet, code=code)
        return True

    def _refuse(self, rule: str, message: str) -> None:
        raise ItemMasterError(rule, message, self.item.gtin)


@formerly(_FORMERLY + "PackagingLevelAdded")
class PackagingLevelAdded(ItemEvent):
    level: str
    packaging_gtin: str
    quantity: int

    def apply(self, item: Any) -> None:
        master = item.master
        master.packaging_levels = {**master.packaging_levels, self.level: {"gtin": self.packaging_gtin,
                                                                           "quantity": self.quantity}}


@formerly(_FORMERLY + "RegistrationCertificateSet")
class RegistrationCertificateSet(ItemEvent):
    number: str
    holder: str
    valid_from: date
    valid_to: date
    scope: str | None

    def apply(self, item: Any) -> None:
        item.master.registration_certificate = {"number": self.number, "holder": self.holder,
                                                "valid_from": self.valid_from, "valid_to": self.valid_to,
                                                "scope": self.scope}


@formerly(_FORMERLY + "StorageConditionsSet")
class StorageConditionsSet(ItemEvent):
    min_temperature_c: float | None
    max_temperature_c: float | None
    description: str | None

    def apply(self, item: Any) -> None:
        item.master.storage_conditions = {"min_temperature_c": self.min_temperature_c,
                                          "max_temperature_c": self.max_temperature_c, "description": self.description}


@formerly(_FORMERLY + "TrackingSet")
class TrackingSet(ItemEvent):
    lot_tracked: bool
    serial_tracked: bool
    implant: bool

    def apply(self, item: Any) -> None:
        item.master.recorded_tracking = {"lot_tracked": self.lot_tracked, "serial_tracked": self.serial_tracked,
                                         "implant": self.implant}


@formerly(_FORMERLY + "SalesBlockSet")
class SalesBlockSet(ItemEvent):
    blocked: bool

    def apply(self, item: Any) -> None:
        item.master.sales_blocked = self.blocked


@formerly(_FORMERLY + "ProductGroupSet")
class ProductGroupSet(ItemEvent):
    group: str | None

    def apply(self, item: Any) -> None:
        item.master.product_group = self.group


class MedicalInsuranceCodeSet(ItemEvent):
    code: str | None

    def apply(self, item: Any) -> None:
        item.master.insurance_code = self.code
