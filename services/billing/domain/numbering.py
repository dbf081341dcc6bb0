"""Document numbers from gap-free series (发票号 continuity): one series per kind of document and year, each number
issued once, to one document, in the transaction that records the document. Two writers taking a number at once
meet on the series' version: one is retried against the series as the other left it, so no number is skipped or
given twice. Pure."""

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.platform.aggregate import TracedAggregate

PREFIXES = {"invoice": "INV", "credit_note": "CN"}


def series_name(kind: str, year: int) -> str:
    return f"{PREFIXES[kind]}-{year}"


class DocumentSeries(TracedAggregate):
    """The numbers issued in one series, in order: `INV-2026-000001`, `INV-2026-000002`, …"""

    @event("Opened")
    def __init__(self, series: str) -> None:
        self.series = series
        self.issued: dict[str, str] = {}  # document id -> number

    @staticmethod
    def create_id(series: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"erp:document-series:{series}")

    def number_for(self, document_id: UUID) -> tuple[str, bool]:
        """The document's number, and whether it was issued now (False: the document has it already)."""
        if str(document_id) in self.issued:
            return self.issued[str(document_id)], False
        self._issued(document_id=document_id, number=f"{self.series}-{len(self.issued) + 1:06d}")
        return self.issued[str(document_id)], True

    @event("NumberIssued")
    def _issued(self, document_id: UUID, number: str) -> None:
        self.issued = {**self.issued, str(document_id): number}
