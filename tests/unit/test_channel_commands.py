"""Channel's command handlers on eventsourcing's in-memory persistence: the rules, in milliseconds."""

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from services.channel.application import ChannelApplication, parties
from services.channel.domain import Distributor, Hospital
from shared.domain.rules import NotFound, RuleViolation
from shared.platform.context import acting_as
from shared.platform.unit_of_work import UnitOfWork
from tests.unit.in_memory import in_memory


@pytest.fixture
def uow():
    with in_memory(ChannelApplication, "user:master-data") as app:
        yield UnitOfWork(app)


def hospital(name: str, hospital_id=None) -> parties.RegisterHospital:  # noqa: ANN001
    return parties.RegisterHospital(hospital_id=hospital_id or uuid4(), name=name, province="上海市", grade="3A")


def stored(uow: UnitOfWork) -> int:
    return len(uow.app.recorder.select_notifications(start=1, limit=100))


def test_a_hospital_is_registered_once_and_a_retry_finds_it(uow):
    command = hospital("华山医院")
    first, created = parties.register_hospital(command, uow)
    again, created_again = parties.register_hospital(command, uow)
    assert (created, created_again, again.id, again.name) == (True, False, first.id, "华山医院")
    assert stored(uow) == 1


@pytest.mark.parametrize("variant", ["华山医院", "华山医院\u3000", "ＨＵＡＳＨＡＮ", "huashan"])
def test_names_are_unique_per_kind_compared_normalised(uow, variant):
    parties.register_hospital(hospital("华山医院"), uow)
    parties.register_hospital(hospital("Huashan"), uow)
    with pytest.raises(RuleViolation) as refused:
        parties.register_hospital(hospital(variant), uow)
    assert (refused.value.rule, refused.value.field) == ("hospital-name-unique", "name")
    # A distributor may bear a hospital's name: uniqueness is per kind.
    distributor, _ = parties.register_distributor(parties.RegisterDistributor(
        distributor_id=uuid4(), name="华山医院", region="上海市", tier="gold"), uow)
    assert distributor.name == "华山医院"
    assert stored(uow) == 3


def test_changing_a_contact_to_the_same_records_nothing_and_an_unknown_party_is_not_found(uow):
    h, _ = parties.register_hospital(hospital("瑞金医院"), uow)
    contact = {"name": "设备科 王主任", "phone": "+86 21 6437 0045"}
    for _ in range(2):
        changed = parties.change_contact(parties.ChangeContact(party_id=h.id, kind=Hospital, contact=contact), uow)
    assert (changed.contact, stored(uow)) == (contact, 2)
    with pytest.raises(NotFound):
        parties.change_contact(parties.ChangeContact(party_id=uuid4(), kind=Distributor, contact=contact), uow)
    with pytest.raises(NotFound):  # a hospital's id is not a distributor's
        parties.change_contact(parties.ChangeContact(party_id=h.id, kind=Distributor, contact=contact), uow)


def test_a_licence_is_recorded_once_and_a_renewal_replaces_it(uow):
    d, _ = parties.register_distributor(parties.RegisterDistributor(
        distributor_id=uuid4(), name="华东医疗", region="江苏省", tier="gold"), uow)

    def record(valid_to: date) -> Distributor:
        return parties.record_licence(parties.RecordLicence(
            distributor_id=d.id, document_type="distribution_licence", number="苏械经营许20200001号",
            valid_from=date(2024, 1, 1), valid_to=valid_to), uow)

    record(date(2029, 1, 1))
    record(date(2029, 1, 1))  # the same document again
    renewed = record(date(2034, 1, 1))
    assert [doc["valid_to"] for doc in renewed.licences] == [date(2034, 1, 1)]
    assert stored(uow) == 3
    with pytest.raises(RuleViolation) as refused:
        record(date(2020, 1, 1))
    assert refused.value.rule == "valid-period"


def test_a_refused_command_leaves_nothing_in_the_unit_of_work(uow):
    parties.register_hospital(hospital("华山医院"), uow)
    with pytest.raises(RuleViolation):
        parties.register_hospital(hospital("华山医院"), uow)
    uow.commit()  # nothing of the refused command is left to save
    assert stored(uow) == 1


def distributor(uow: UnitOfWork, name: str):  # noqa: ANN201
    with acting_as("user:master-data"):
        found, _ = parties.register_distributor(parties.RegisterDistributor(
            distributor_id=uuid4(), name=name, region="四川省", tier="gold"), uow)
    return found.id


def grant(uow: UnitOfWork, distributor_id, number: str, start: date, end: date, exclusive: bool = False,  # noqa: ANN001
          **territory) -> Distributor:  # noqa: ANN003
    with acting_as("user:channel-manager"):
        return parties.authorize(parties.Authorize(
            distributor_id=distributor_id, number=number, gtins=("09506000134352",), valid_from=start, valid_to=end,
            exclusive=exclusive, **{"provinces": ("四川省",), **territory}), uow)


def test_an_exclusive_authorization_shares_its_products_territory_and_days_with_no_other_distributor(uow):
    west, south = distributor(uow, "西南医疗"), distributor(uow, "华南医疗")
    grant(uow, west, "SQ-W-1", date(2026, 1, 1), date(2026, 6, 30), exclusive=True)
    grant(uow, south, "SQ-S-1", date(2026, 7, 1), date(2026, 12, 31))  # from the day after: no overlap
    grant(uow, south, "SQ-S-2", date(2026, 3, 1), date(2026, 6, 30), provinces=("贵州省",))  # another province
    grant(uow, west, "SQ-W-2", date(2026, 5, 1), date(2026, 8, 31))  # the same distributor: its own territory
    with pytest.raises(RuleViolation) as edge:  # the last day of the exclusive one is shared
        grant(uow, south, "SQ-S-3", date(2026, 6, 30), date(2026, 9, 30))
    assert (edge.value.rule, edge.value.field, edge.value.context["number"]) == (
        "authorization-exclusive-overlap", "exclusive", "SQ-W-1")
    with acting_as("user:master-data"):
        hospital_id = parties.register_hospital(parties.RegisterHospital(
            hospital_id=uuid4(), name="华西医院", province="四川省", grade="3A"), uow)[0].id
    with pytest.raises(RuleViolation):  # a hospital inside the exclusive province
        grant(uow, south, "SQ-S-4", date(2026, 2, 1), date(2026, 2, 28), provinces=(), hospitals=(hospital_id,))
    with pytest.raises(RuleViolation):  # an exclusive one where another already sells (SQ-S-1, from July)
        grant(uow, west, "SQ-W-3", date(2026, 9, 1), date(2026, 9, 30), exclusive=True)
    stored_south = uow.app.get_aggregate(south, Distributor)
    assert [a["number"] for a in stored_south.authorizations] == ["SQ-S-1", "SQ-S-2"]  # the refused ones: not stored
    uow = UnitOfWork(uow.app)  # a new request
    with acting_as("user:channel-manager", reason="合作终止"):
        parties.revoke_authorization(parties.RevokeAuthorization(distributor_id=west, number="SQ-W-1"), uow)
    grant(uow, south, "SQ-S-3", date(2026, 6, 30), date(2026, 9, 30))  # its territory is free again


def test_a_tier_2_distributor_buys_from_a_tier_1_parent_and_targets_replace_per_period(uow):
    ids = {name: uuid4() for name in ("一级", "二级", "配送")}
    for name, distributor_id in ids.items():
        parties.register_distributor(parties.RegisterDistributor(distributor_id=distributor_id, name=name,
                                                                 region="江苏省", tier="gold"), uow)

    def place(name: str, level: str, parent: str | None = None):  # noqa: ANN202
        return parties.place_distributor(parties.PlaceDistributor(
            distributor_id=ids[name], level=level, parent_distributor_id=ids[parent] if parent else None), uow)

    with pytest.raises(RuleViolation) as orphan:
        place("二级", "tier_2")
    with pytest.raises(RuleViolation) as under_unplaced:
        place("二级", "tier_2", "配送")
    assert (orphan.value.rule, under_unplaced.value.rule) == ("tier-2-parent", "tier-2-parent")
    place("一级", "tier_1")
    placed = place("二级", "tier_2", "一级")
    assert (placed.level, placed.parent_id) == ("tier_2", ids["一级"])
    with pytest.raises(RuleViolation) as parented_tier_1:
        place("配送", "tier_1", "一级")
    assert parented_tier_1.value.rule == "tier-2-parent"
    target = parties.set_target(parties.SetTarget(distributor_id=ids["二级"], period="2026-Q4",
                                                  amount=Decimal("500000.00")), uow)
    target = parties.set_target(parties.SetTarget(distributor_id=ids["二级"], period="2026-Q4", units=800), uow)
    assert target.targets == {"2026-Q4": {"amount": None, "units": 800}}


def test_an_exclusive_city_meets_its_province_its_own_city_and_the_hospitals_in_it_and_not_another_city(uow):
    chengdu, mianyang = ("四川省", "成都市"), ("四川省", "绵阳市")
    west, south, east = distributor(uow, "西南医疗"), distributor(uow, "华南医疗"), distributor(uow, "华东医疗")
    grant(uow, west, "SQ-CD", date(2026, 1, 1), date(2026, 12, 31), exclusive=True, provinces=(), cities=(chengdu,))
    grant(uow, south, "SQ-MY", date(2026, 1, 1), date(2026, 12, 31), provinces=(), cities=(mianyang,))
    with acting_as("user:master-data"):
        in_chengdu = parties.register_hospital(parties.RegisterHospital(
            hospital_id=uuid4(), name="四川省人民医院", province="四川省", city="成都市", grade="3A"), uow)[0].id
    refused = []
    for number, territory in (("SQ-1", {"cities": (chengdu,), "provinces": ()}), ("SQ-2", {}),
                              ("SQ-3", {"provinces": (), "hospitals": (in_chengdu,)})):
        with pytest.raises(RuleViolation) as overlap:
            grant(uow, east, number, date(2026, 3, 1), date(2026, 3, 31), **territory)
        refused.append(overlap.value.context["number"])
    assert refused == ["SQ-CD", "SQ-CD", "SQ-CD"]
    stored = uow.app.get_aggregate(west, Distributor).authorizations[0]
    assert stored["cities"] == [{"province": "四川省", "city": "成都市"}]
