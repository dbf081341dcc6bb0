"""Item master data of a stock item: its UDI-DIs per packaging level, registration certificate (注册证), storage
conditions and how it is tracked (lot, serial or both; implant or not).

A base class of `StockItem` (one aggregate per base GTIN), so every change is an event in the item's own history.
Each command checks its rules here and then records a private @event: replays never re-judge. Repeating a
command with exactly what is recorded already records nothing (and returns False).

Items registered before master data existed have none of it: the defaults below are what they read as
(lot-tracked, not serial-tracked, not an implant; no certificate, no storage conditions, no packaging levels).
"""

from datetime import date
from typing import Any

from eventsourcing.domain import event

from shared.platform.aggregate import TracedAggregate
from shared.domain.rules import RuleViolation

# Packaging levels above the base unit (the base GTIN is the "each" level, quantity 1), in containment order.
PACKAGING_LEVELS = ("box", "case")


class ItemMasterError(RuleViolation):
    """A rule of this module refused the command (answered as a 409 problem naming `rule`)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(rule, message)


class ItemMasterData(TracedAggregate):
    # No class annotations here: eventsourcing would read them as fields of the Registered event.

    # Read with defaults: items registered before master data existed have none of these attributes.
    @property
    def packaging_levels(self) -> dict[str, dict[str, Any]]:
        """level -> {"gtin", "quantity"}; the base GTIN itself is the "each" level (quantity 1)."""
        return self.__dict__.get("_packaging", {})

    @property
    def registration_certificate(self) -> dict[str, Any] | None:
        return self.__dict__.get("_certificate")

    @property
    def storage_conditions(self) -> dict[str, Any] | None:
        return self.__dict__.get("_storage")

    @property
    def tracking(self) -> dict[str, bool]:
        return self.__dict__.get("_tracking", {"lot_tracked": True, "serial_tracked": False, "implant": False})

    def gtins(self) -> dict[str, tuple[str, int]]:
        """Every UDI-DI of the item: GTIN -> (level, units of the base item)."""
        return {self.gtin: ("each", 1), **{p["gtin"]: (level, p["quantity"]) for level, p in self.packaging_levels.items()}}

    # Packaging levels ------------------------------------------------------------------------------------------

    def add_packaging_level(self, level: str, gtin: str, quantity: int) -> bool:
        """A box or case GTIN and how many base units it holds. A GTIN's quantity never changes (GS1), so a level
        once defined stays; a case holds a whole number of boxes."""
        if level not in PACKAGING_LEVELS:
            raise ValueError(f"unknown packaging level {level!r}")
        current = self.packaging_levels.get(level)
        if current == {"gtin": gtin, "quantity": quantity}:
            return False
        if current is not None:
            raise ItemMasterError("packaging-level-defined",
                                  f"the {level} level of {self.gtin} is already GTIN {current['gtin']} with"
                                  f" {current['quantity']} units: a GTIN's quantity never changes")
        if gtin in self.gtins():
            raise ItemMasterError("packaging-gtin-unique", f"GTIN {gtin} is already a UDI-DI of item {self.gtin}")
        if quantity < 2:
            raise ItemMasterError("packaging-quantity", f"a {level} holds at least 2 units")
        box, case = self.packaging_levels.get("box"), self.packaging_levels.get("case")
        if level == "case" and box is not None and (quantity <= box["quantity"] or quantity % box["quantity"]):
            raise ItemMasterError("packaging-quantity", f"a case holds a whole number of boxes of {box['quantity']}"
                                                        f" (more than one), not {quantity} units")
        if level == "box" and case is not None and (quantity >= case["quantity"] or case["quantity"] % quantity):
            raise ItemMasterError("packaging-quantity", f"a box holds a whole fraction of the case's"
                                                        f" {case['quantity']} units, not {quantity}")
        self._packaging_level_added(gtin=self.gtin, level=level, packaging_gtin=gtin, quantity=quantity)
        return True

    @event("PackagingLevelAdded")
    def _packaging_level_added(self, gtin: str, level: str, packaging_gtin: str, quantity: int) -> None:
        self.__dict__["_packaging"] = {**self.packaging_levels, level: {"gtin": packaging_gtin, "quantity": quantity}}

    # Registration certificate (注册证) ---------------------------------------------------------------------------

    def set_registration_certificate(self, number: str, holder: str, valid_from: date, valid_to: date,
                                     scope: str | None = None) -> bool:
        if valid_to < valid_from:
            raise ItemMasterError("certificate-validity", "valid_to must not be before valid_from")
        certificate = {"number": number, "holder": holder, "valid_from": valid_from, "valid_to": valid_to, "scope": scope}
        if certificate == self.registration_certificate:
            return False
        self._registration_certificate_set(gtin=self.gtin, **certificate)
        return True

    @event("RegistrationCertificateSet")
    def _registration_certificate_set(self, gtin: str, number: str, holder: str, valid_from: date, valid_to: date,
                                      scope: str | None) -> None:
        self.__dict__["_certificate"] = {"number": number, "holder": holder, "valid_from": valid_from,
                                         "valid_to": valid_to, "scope": scope}

    # Storage conditions ----------------------------------------------------------------------------------------

    def set_storage_conditions(self, min_temperature_c: float | None, max_temperature_c: float | None,
                               description: str | None = None) -> bool:
        if min_temperature_c is not None and max_temperature_c is not None and min_temperature_c > max_temperature_c:
            raise ItemMasterError("storage-temperature-range", "min_temperature_c must not be above max_temperature_c")
        conditions = {"min_temperature_c": min_temperature_c, "max_temperature_c": max_temperature_c,
                      "description": description}
        if conditions == self.storage_conditions:
            return False
        self._storage_conditions_set(gtin=self.gtin, **conditions)
        return True

    @event("StorageConditionsSet")
    def _storage_conditions_set(self, gtin: str, min_temperature_c: float | None, max_temperature_c: float | None,
                                description: str | None) -> None:
        self.__dict__["_storage"] = {"min_temperature_c": min_temperature_c, "max_temperature_c": max_temperature_c,
                                     "description": description}

    # Tracking --------------------------------------------------------------------------------------------------

    def set_tracking(self, lot_tracked: bool, serial_tracked: bool, implant: bool) -> bool:
        if not (lot_tracked or serial_tracked):
            raise ItemMasterError("tracking-required", "an item is lot-tracked, serial-tracked or both")
        tracking = {"lot_tracked": lot_tracked, "serial_tracked": serial_tracked, "implant": implant}
        if tracking == self.tracking and "_tracking" in self.__dict__:
            return False
        self._tracking_set(gtin=self.gtin, **tracking)
        return True

    @event("TrackingSet")
    def _tracking_set(self, gtin: str, lot_tracked: bool, serial_tracked: bool, implant: bool) -> None:
        self.__dict__["_tracking"] = {"lot_tracked": lot_tracked, "serial_tracked": serial_tracked, "implant": implant}
