"""The name a printed document gives a party (a hospital or a distributor): as the channel registered it, from
billing's copy of the parties (projections/parties.py)."""

from uuid import UUID

from shared.platform.read_models import ReadModels


def party_name(read: ReadModels, party_id: UUID) -> str | None:
    """None while billing has not learned of the party yet: the document then names it by its id."""
    row = read.one("SELECT name FROM {schema}.known_parties WHERE party_id = %s", (party_id,))
    return None if row is None else row["name"]
