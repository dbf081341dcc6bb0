"""Human recall numbers: `RC-2026-0001`, per calendar year of the decision in China (Asia/Shanghai), gap-free.

One `RecallNumbers` aggregate per year hands out the numbers. It is saved in the same transaction as the case it
numbers: two cases opened at once both change the year's sequence at the same version, the event store refuses
the second, and that opening retries with the next number. A number is therefore never given twice, and never
skipped (a refused opening stores neither the case nor its number).
"""

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5
from shared.domain.business_day import CHINA

from eventsourcing.domain import event

from shared.platform.aggregate import TracedAggregate



def numbering_year(decided_at: datetime) -> int:
    """The year a recall is counted in: that of its decision as the calendar in China shows it."""
    return decided_at.astimezone(CHINA).year


def recall_number(year: int, sequence: int) -> str:
    return f"RC-{year}-{sequence:04d}"


def sequence_id(year: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:recall-numbers:{year}")


class RecallNumbers(TracedAggregate):
    """The numbers given in one year; created by giving the first."""

    @event("Started")
    def __init__(self, year: int, sequence: int, number: str, recall_id: UUID) -> None:
        self.year = year
        self.issued: dict[str, str] = {str(recall_id): number}
        self.last = sequence

    @staticmethod
    def create_id(year: int) -> UUID:
        return sequence_id(year)

    @classmethod
    def first(cls, year: int, recall_id: UUID) -> "RecallNumbers":
        return cls(year=year, sequence=1, number=recall_number(year, 1), recall_id=recall_id)

    def issue(self, recall_id: UUID) -> str:
        """The next number, for this case (the one it already has, if any)."""
        if str(recall_id) not in self.issued:
            sequence = self.last + 1
            self._issued(year=self.year, sequence=sequence, number=recall_number(self.year, sequence),
                         recall_id=recall_id)
        return self.issued[str(recall_id)]

    @event("Issued")
    def _issued(self, year: int, sequence: int, number: str, recall_id: UUID) -> None:
        self.issued[str(recall_id)] = number
        self.last = sequence
