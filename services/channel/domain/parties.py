"""Hospitals and distributors: the parties the manufacturer sells to. Pure domain, no I/O.

Names are unique per kind: two hospitals of the same name would be two customers to a recall officer calling down
a list. Names are compared normalised (`name_key`): full- and half-width forms, case and spacing do not make a new
name.
"""

import unicodedata
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from shared.domain.authorizations import MAX_AUTHORIZATION_DAYS
from shared.domain.rules import NotFound, RuleViolation
from shared.platform.aggregate import TracedAggregate


LEVELS = ("tier_1", "tier_2", "delivery")  # 一级经销商, 二级经销商, 配送商
MAX_ALIASES = 50
MAX_AUTHORIZATIONS = 200  # per distributor: the aggregate (read on every command) stays small


def name_key(name: str) -> str:
    """A name as compared for uniqueness: NFKC (full-width Ａ and （ are A and (), case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _new_document(licences: list[dict[str, Any]], document: dict[str, Any]) -> bool:
    """Whether a qualification document is new to the party (the same one again records nothing)."""
    if document["valid_to"] < document["valid_from"]:
        raise RuleViolation("valid-period", f"valid_to {document['valid_to']} is before valid_from"
                            f" {document['valid_from']}", "valid_to")
    return document not in licences


def _renewed(licences: list[dict[str, Any]], document: dict[str, Any]) -> list[dict[str, Any]]:
    """The party's documents with this one: a renewal (same type and number) replaces the document it renews."""
    kept = [d for d in licences if (d["document_type"], d["number"]) != (document["document_type"], document["number"])]
    return [*kept, document]


class _Qualified:
    """What hospitals and distributors alike hold: an active status and qualification documents (licences). The
    events stay each aggregate's own (`_status_changed`, `_licence_recorded`): their names are stored topics."""

    @property
    def active(self) -> bool:
        return self.__dict__.get("_active", True)  # registered active; deactivated parties buy nothing

    def set_active(self, active: bool) -> bool:
        """Deactivate (no new orders for it, or through it) or reactivate; False when it is so already."""
        if self.active == active:
            return False
        self._status_changed(active=active)  # type: ignore[attr-defined]
        return True

    @property
    def licences(self) -> list[dict[str, Any]]:
        return self.__dict__.get("_licences", [])  # parties registered before licences were recorded have none

    def record_licence(self, document_type: str, number: str, valid_from: date, valid_to: date,
                       scope: str | None) -> bool:
        """Record a qualification document (a distributor's 经营许可证 or 备案凭证, a hospital's 医疗机构执业许可证);
        the same document again records nothing (False)."""
        document = {"document_type": document_type, "number": number, "valid_from": valid_from,
                    "valid_to": valid_to, "scope": scope}
        if not _new_document(self.licences, document):
            return False
        self._licence_recorded(**document)  # type: ignore[attr-defined]
        return True


class Hospital(_Qualified, TracedAggregate):
    class Registered(TracedAggregate.Created):
        """Version 2 records the province (channel policies are set per province) and, when known, the city.

        Stored events are immutable, so a version 1 event (with `region`) stays in the store as it
        was written and is upcast each time it is read: the library calls `upcast_v1_v2` for stored
        state without a `class_version`, and stores `class_version: 2` with every new event.
        """

        class_version = 2

        hospital_id: UUID
        name: str
        province: str
        city: str | None
        grade: str
        contact: dict[str, Any] | None  # absent from events recorded before contacts existed

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # v1's region was, in practice, the province (e.g. 上海市); v1 never knew the city.
            state["province"] = state.pop("region")
            state["city"] = None

    @event(Registered)
    def __init__(self, hospital_id: UUID, name: str, province: str, grade: str, city: str | None = None,
                 contact: dict[str, Any] | None = None) -> None:
        self.name = name
        self.province = province
        self.city = city
        self.grade = grade
        self.contact = contact

    @event("ContactChanged")
    def change_contact(self, contact: dict[str, Any]) -> None:
        self.contact = contact

    @event("StatusChanged")
    def _status_changed(self, active: bool) -> None:
        self.__dict__["_active"] = active

    @event("LicenceRecorded")
    def _licence_recorded(self, document_type: str, number: str, valid_from: date, valid_to: date,
                          scope: str | None) -> None:
        self.__dict__["_licences"] = _renewed(self.licences, {
            "document_type": document_type, "number": number, "valid_from": valid_from, "valid_to": valid_to,
            "scope": scope})

    @property
    def aliases(self) -> list[str]:
        return self.__dict__.get("_aliases", [])

    def add_alias(self, alias: str) -> bool:
        """Another name the hospital is known by in distributors' reports; False when it has it already. Its own
        name is not an alias."""
        if name_key(alias) in {name_key(a) for a in [self.name, *self.aliases]}:
            return False
        if len(self.aliases) >= MAX_ALIASES:
            raise RuleViolation("aliases-bounded", f"a hospital has at most {MAX_ALIASES} aliases", "alias")
        self._alias_added(alias=alias)
        return True

    @event("AliasAdded")
    def _alias_added(self, alias: str) -> None:
        self.__dict__["_aliases"] = [*self.aliases, alias]

    @staticmethod
    def create_id(hospital_id: UUID) -> UUID:
        return hospital_id


class Distributor(_Qualified, TracedAggregate):
    @event("Registered")
    def __init__(self, distributor_id: UUID, name: str, region: str, tier: str,
                 contact: dict[str, Any] | None = None) -> None:
        self.name = name
        self.region = region
        self.tier = tier
        self.contact = contact

    @event("ContactChanged")
    def change_contact(self, contact: dict[str, Any]) -> None:
        self.contact = contact

    @event("StatusChanged")
    def _status_changed(self, active: bool) -> None:
        self.__dict__["_active"] = active

    @event("LicenceRecorded")
    def _licence_recorded(self, document_type: str, number: str, valid_from: date, valid_to: date,
                          scope: str | None) -> None:
        self.__dict__["_licences"] = _renewed(self.licences, {
            "document_type": document_type, "number": number, "valid_from": valid_from, "valid_to": valid_to,
            "scope": scope})

    # Authorizations (授权书) ------------------------------------------------------------------------------------

    @property
    def authorizations(self) -> list[dict[str, Any]]:
        return self.__dict__.get("_authorizations", [])

    def authorize(self, number: str, gtins: list[str], product_groups: list[str], provinces: list[str],
                  hospitals: list[UUID], valid_from: date, valid_to: date, exclusive: bool = False,
                  cities: list[dict[str, str]] | None = None) -> bool:
        """Grant an authorization (授权书) under its number; the same one again records nothing (False). It names at
        least one product (GTIN or product group) and one territory (province, city — with its province — or
        hospital)."""
        if valid_to < valid_from:
            raise RuleViolation("valid-period", f"valid_to {valid_to} is before valid_from {valid_from}", "valid_to")
        if (valid_to - valid_from).days > MAX_AUTHORIZATION_DAYS:
            raise RuleViolation("authorization-period", f"an authorization runs at most {MAX_AUTHORIZATION_DAYS}"
                                " days: grant a new one when it ends", "valid_to")
        if not gtins and not product_groups:
            raise RuleViolation("authorization-products", "name the products it covers (GTINs or product groups)",
                                "gtins")
        if not provinces and not hospitals and not cities:
            raise RuleViolation("authorization-territory", "name its territory (provinces, cities or hospitals)",
                                "provinces")
        granted = {"number": number, "gtins": sorted(set(gtins)), "product_groups": sorted(set(product_groups)),
                   "provinces": sorted(set(provinces)), "hospitals": sorted({str(h) for h in hospitals}),
                   "valid_from": valid_from, "valid_to": valid_to, **({"exclusive": True} if exclusive else {}),
                   **({"cities": sorted(cities, key=lambda c: (c["province"], c["city"]))} if cities else {})}
        same = next((a for a in self.authorizations if a["number"] == number), None)
        if same is not None:
            if {k: v for k, v in same.items() if k != "revoked"} == granted and not same.get("revoked"):
                return False
            raise RuleViolation("authorization-number-unique", f"authorization {number} was granted already:"
                                " revoke it and grant one under a new number", "number")
        if len(self.authorizations) >= MAX_AUTHORIZATIONS:
            raise RuleViolation("authorizations-bounded", f"a distributor holds at most {MAX_AUTHORIZATIONS}"
                                " authorizations", "number")
        self._authorized(**granted)
        return True

    @event("Authorized")
    def _authorized(self, number: str, gtins: list[str], product_groups: list[str], provinces: list[str],
                    hospitals: list[str], valid_from: date, valid_to: date, exclusive: bool = False,
                    cities: list[dict[str, str]] | None = None) -> None:
        self.__dict__["_authorizations"] = [*self.authorizations, {
            "number": number, "gtins": gtins, "product_groups": product_groups, "provinces": provinces,
            "hospitals": hospitals, "valid_from": valid_from, "valid_to": valid_to,
            **({"exclusive": True} if exclusive else {}), **({"cities": cities} if cities else {})}]

    def revoke_authorization(self, number: str) -> bool:
        """Revoke an authorization (the reason is the request's); False when it is revoked already."""
        found = next((a for a in self.authorizations if a["number"] == number), None)
        if found is None:
            raise NotFound("Authorization", number)
        if found.get("revoked"):
            return False
        self._authorization_revoked(number=number)
        return True

    @event("AuthorizationRevoked")
    def _authorization_revoked(self, number: str) -> None:
        self.__dict__["_authorizations"] = [{**a, "revoked": True} if a["number"] == number else a
                                            for a in self.authorizations]

    # Structure and targets --------------------------------------------------------------------------------------

    @property
    def level(self) -> str | None:
        return self.__dict__.get("_level")  # None: not yet placed (distributors registered before levels)

    @property
    def parent_id(self) -> UUID | None:
        return self.__dict__.get("_parent_id")

    def place(self, level: str, parent: "Distributor | None") -> bool:
        """Place the distributor in the channel: 一级经销商 (tier_1, buys from the manufacturer), 二级经销商 (tier_2, buys
        from a tier-1 parent) or 配送商 (delivery, delivers for others). False when it is so placed already."""
        if level not in LEVELS:
            raise RuleViolation("distributor-level", f"level is one of {', '.join(LEVELS)}", "level")
        if level == "tier_2":
            if parent is None:
                raise RuleViolation("tier-2-parent", "a 二级经销商 buys from a 一级经销商: name it", "parent_distributor_id")
            if parent.id == self.id or parent.level != "tier_1":
                raise RuleViolation("tier-2-parent", f"{parent.name} is not a 一级经销商", "parent_distributor_id")
        elif parent is not None:
            raise RuleViolation("tier-2-parent", "only a 二级经销商 has a parent", "parent_distributor_id")
        parent_id = parent.id if parent else None
        if (self.level, self.parent_id) == (level, parent_id):
            return False
        self._placed(level=level, parent_distributor_id=parent_id)
        return True

    @event("Placed")
    def _placed(self, level: str, parent_distributor_id: UUID | None) -> None:
        self.__dict__["_level"] = level
        self.__dict__["_parent_id"] = parent_distributor_id

    @property
    def targets(self) -> dict[str, dict[str, Any]]:
        return self.__dict__.get("_targets", {})

    def set_target(self, period: str, amount: Decimal | None, units: int | None) -> bool:
        """The distributor's target for a period (a month or quarter: amount net of VAT and/or units); a later one
        for the same period replaces it. False when it is that already."""
        if amount is None and units is None:
            raise RuleViolation("target-measure", "a target names an amount, units or both", "amount")
        if self.targets.get(period) == {"amount": amount, "units": units}:
            return False
        self._target_set(period=period, amount=amount, units=units)
        return True

    @event("TargetSet")
    def _target_set(self, period: str, amount: Decimal | None, units: int | None) -> None:
        self.__dict__["_targets"] = {**self.targets, period: {"amount": amount, "units": units}}

    @staticmethod
    def create_id(distributor_id: UUID) -> UUID:
        return distributor_id
