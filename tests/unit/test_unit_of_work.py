"""The unit of work handlers run in, on in-memory persistence: what is saved, when, and what a refusal leaves."""

from uuid import uuid4

import pytest

from services.channel.application import ChannelApplication
from services.channel.domain import Hospital
from shared.platform.eventstore import IntegrityError, UniqueClaim
from shared.platform.unit_of_work import UnitOfWork
from tests.unit.in_memory import in_memory


@pytest.fixture
def app():
    with in_memory(ChannelApplication, "user:test") as app:
        yield app


def new_hospital(name: str = "H") -> Hospital:
    return Hospital(hospital_id=uuid4(), name=name, province="上海市", grade="3A")


def stored(app: ChannelApplication) -> int:
    return len(app.recorder.select_notifications(start=1, limit=100))


def test_at_once_a_command_saves_what_it_collected_and_nothing_else(app):
    uow = UnitOfWork(app)
    kept, dropped = new_hospital("kept"), new_hospital("dropped")
    uow.collect(kept)
    uow.commit()
    assert (stored(app), app.exists(kept.id), app.exists(dropped.id)) == (1, True, False)
    loaded = uow.get(kept.id, Hospital)
    loaded.change_contact({"name": "王", "phone": "+86 21 6437 0045"})  # changed, never collected
    uow.commit()
    assert app.get_aggregate(kept.id, Hospital).contact is None


def test_deferred_commands_see_each_other_and_save_together_at_the_flush(app):
    uow = UnitOfWork(app, deferred=True)
    hospital = new_hospital()
    uow.collect(hospital)
    uow.commit()
    assert stored(app) == 0  # nothing until the batch is flushed
    later = uow.get(hospital.id, Hospital)  # a later command of the batch sees it
    later.change_contact({"name": "王", "phone": "+86 21 6437 0045"})
    uow.collect(later)
    uow.commit()
    assert uow.flush() is True
    assert (stored(app), app.get_aggregate(hospital.id, Hospital).version) == (2, 2)
    assert uow.flush() is False  # nothing left


def test_a_command_that_refuses_after_changing_an_aggregate_spoils_nothing_of_the_batch(app):
    uow = UnitOfWork(app, deferred=True)
    hospital = new_hospital()
    uow.collect(hospital)
    uow.commit()
    doomed = uow.get(hospital.id, Hospital)
    doomed.change_contact({"name": "李", "phone": "+86 21 6437 0046"})
    uow.collect(doomed)
    uow.rollback()  # the command refused: the batch goes on without it
    assert uow.get(hospital.id, Hospital).contact is None
    uow.flush()
    assert app.get_aggregate(hospital.id, Hospital).version == 1


def test_a_unique_value_claimed_by_another_owner_fails_the_whole_save(app):
    first, second = new_hospital("A"), new_hospital("B")
    uow = UnitOfWork(app)
    uow.collect(first)
    uow.claim(UniqueClaim("hospital-name", "x", first.id))
    uow.commit()
    assert uow.claimant("hospital-name", "x") == first.id
    uow.collect(second)
    uow.claim(UniqueClaim("hospital-name", "x", second.id))
    with pytest.raises(IntegrityError):
        uow.commit()
    assert not app.exists(second.id)
