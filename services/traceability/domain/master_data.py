"""What traceability must know exists before it records a recall, an adverse event or a sell-out report about it.

A recall of a lot nobody received or assembled is most likely a typo: the notices would reach nobody while the
real lot stays on the shelves. It is refused, naming the lot, unless the officer says deliberately that the scope
may name lots unknown here (a lot made before the system kept records, say); the answer then lists them. An
adverse event names a hospital registered in the channel, or none; a sell-out report a registered distributor.

The handlers hand in the unit of work's `MasterData` port (read models, see queries/master_data.py); the rules are
here, pure.
"""

from typing import Protocol
from uuid import UUID

from shared.domain.rules import InvalidReference


class MasterData(Protocol):
    def known_lots(self, lots: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these (GTIN, lot) traceability knows: received, assembled or shipped."""

    def registered_hospitals(self, ids: list[UUID]) -> set[UUID]:
        """Which of these ids are hospitals registered in the channel."""


class DistributorDirectory(Protocol):
    def registered_distributors(self, ids: list[UUID]) -> set[UUID]:
        """Which of these ids are distributors registered in the channel."""


def unknown_scope_lots(lots: list[dict[str, str]], master_data: MasterData,
                       allow_unknown: bool) -> list[dict[str, str]]:
    """The lots of a recall's scope that traceability does not know; refused unless `allow_unknown`."""
    known = master_data.known_lots([(r["gtin"], r["lot"]) for r in lots]) if lots else set()
    unknown = [(i, r) for i, r in enumerate(lots) if (r["gtin"], r["lot"]) not in known]
    if unknown and not allow_unknown:
        i, first = unknown[0]
        raise InvalidReference(f"lots[{i}].lot", "known-lot",
                               f"lot {first['lot']} of {first['gtin']} was never received, assembled or shipped:"
                               " check the number, or set allow_unknown_lots to recall it anyway")
    return [r for _, r in unknown]


def registered_hospital(hospital_id: UUID | None, master_data: MasterData) -> None:
    if hospital_id is not None and hospital_id not in master_data.registered_hospitals([hospital_id]):
        raise InvalidReference("hospital_id", "registered-hospital",
                               f"no hospital {hospital_id} is registered in the channel")


def registered_distributor(distributor_id: UUID, directory: DistributorDirectory) -> None:
    if distributor_id not in directory.registered_distributors([distributor_id]):
        raise unregistered_distributor(distributor_id)


def unregistered_distributor(distributor_id: UUID) -> InvalidReference:
    """Also the answer for a distributor outside the caller's data scope: it must not reveal that one exists."""
    return InvalidReference("distributor_id", "registered-distributor",
                            "register the distributor in the channel service first",
                            detail=f"no distributor {distributor_id} is registered in the channel")
