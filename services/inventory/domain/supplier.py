"""A supplier and its qualification documents (首营企业资质): goods are received only from a supplier whose
required licences are on file and valid on the day of receipt."""

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from shared.platform.aggregate import TracedAggregate
from shared.domain.rules import InvalidReference, RuleViolation

BUSINESS_LICENCE = "business_licence"              # 营业执照
PRODUCTION_LICENCE = "production_licence"          # 医疗器械生产许可证 / 备案凭证
DISTRIBUTION_LICENCE = "distribution_licence"      # 医疗器械经营许可证 / 备案凭证
DOCUMENT_TYPES = (BUSINESS_LICENCE, PRODUCTION_LICENCE, DISTRIBUTION_LICENCE,
                  "registration_certificate", "quality_agreement", "authorization_letter", "other")

# Each entry: the document types of which one must be valid on the day of receipt.
REQUIRED_DOCUMENTS: tuple[tuple[str, ...], ...] = ((BUSINESS_LICENCE,), (PRODUCTION_LICENCE, DISTRIBUTION_LICENCE))


class QualificationError(RuleViolation):
    def __init__(self, rule: str, message: str, supplier_id: UUID) -> None:
        super().__init__(rule, message, supplier_id=supplier_id)


class Supplier(TracedAggregate):
    @event("Registered")
    def __init__(self, supplier_id: UUID, name: str, credit_code: str | None) -> None:
        self.name = name
        self.credit_code = credit_code
        self.documents: list[dict[str, Any]] = []

    @staticmethod
    def create_id(supplier_id: UUID) -> UUID:
        return supplier_id

    def record_qualification(self, document_type: str, number: str, valid_from: date, valid_to: date) -> None:
        if document_type not in DOCUMENT_TYPES:
            raise InvalidReference("document_type", "document-type", f"a document type is one of {', '.join(DOCUMENT_TYPES)}")
        if valid_to < valid_from:
            raise QualificationError("valid-period", f"valid_to {valid_to} is before valid_from {valid_from}", self.id)
        self._qualification_recorded(document_type=document_type, number=number, valid_from=valid_from,
                                     valid_to=valid_to)

    @event("QualificationRecorded")
    def _qualification_recorded(self, document_type: str, number: str, valid_from: date, valid_to: date) -> None:
        self.documents.append({"document_type": document_type, "number": number, "valid_from": valid_from,
                               "valid_to": valid_to})

    def missing_on(self, day: date) -> list[str]:
        """The required qualifications not covered on `day` (each as 'a or b'); empty when qualified."""
        valid = {d["document_type"] for d in self.documents if d["valid_from"] <= day <= d["valid_to"]}
        return [" or ".join(group) for group in REQUIRED_DOCUMENTS if not valid.intersection(group)]

    def check_qualified_on(self, day: date) -> None:
        missing = self.missing_on(day)
        if missing:
            raise QualificationError(
                "supplier-qualified",
                f"supplier {self.name} has no valid {', '.join(missing)} on {day}: goods from it are not received", self.id)
