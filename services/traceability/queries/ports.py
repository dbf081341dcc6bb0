"""The read models as the command handlers ask them: the SQL implementations of the ports on the unit of work
(application/__init__.py). Each answers from the read models as they stand; a rule that needs a fact the
projections have not caught up with yet sees it once they have."""

from datetime import datetime
from uuid import UUID

from services.traceability.domain.recall import RecallCase
from services.traceability.domain.terminal_matching import Terminal
from services.traceability.queries import lineage_facts, master_data, recall_lists, sellout
from services.traceability.queries.case_consignees import RecallConsignee, recall_consignees
from shared.platform.read_models import ReadModels


class SqlMasterData:
    def __init__(self, read: ReadModels) -> None:
        self.read = read

    def known_lots(self, lots: list[tuple[str, str]]) -> set[tuple[str, str]]:
        return master_data.known_lots(self.read, lots)

    def registered_hospitals(self, ids: list[UUID]) -> set[UUID]:
        return master_data.registered(self.read, "hospital", ids)

    def registered_distributors(self, ids: list[UUID]) -> set[UUID]:
        return master_data.registered(self.read, "distributor", ids)

    def terminals(self, names: list[str]) -> list[Terminal]:
        return master_data.terminals(self.read, names)


class SqlLineage:
    def __init__(self, read: ReadModels) -> None:
        self.read = read

    def kit_lots_made_from(self, lots: list[dict[str, str]]) -> list[dict[str, str]]:
        return lineage_facts.kit_lots_made_from(self.read, lots)

    def distributor_position(self, distributor_id: UUID, lots: list[tuple[str, str]]) -> tuple[dict, dict]:
        return sellout.distributor_position(self.read, distributor_id, lots)

    def consignee_of_shipment(self, shipment_id: UUID) -> UUID | None:
        return lineage_facts.consignee_of_shipment(self.read, shipment_id)


class SqlOpenRecalls:
    def __init__(self, read: ReadModels) -> None:
        self.read = read

    def covering(self, gtin: str, lot: str, serials: list[str]) -> list[UUID]:
        return recall_lists.open_recalls_covering(self.read, gtin, lot, serials)


class SqlCaseConsignees:
    def __init__(self, read: ReadModels) -> None:
        self.read = read

    def of_case(self, case: RecallCase, at: datetime) -> list[RecallConsignee]:
        return recall_consignees(self.read, case, at)
