"""Diversion (窜货) alerts through their handler on eventsourcing's in-memory persistence: a sell-out line is judged
against the distributor's authorizations on the day of the sale, an alert is raised once per line naming what it
breaks, and resolved once with an outcome."""

from datetime import date
from uuid import uuid4

import pytest

from services.channel.application import ChannelApplication, ChannelUnitOfWork, diversion, parties
from shared.domain.rules import RuleViolation
from tests.unit.in_memory import in_memory

GTIN, OTHER = "09506000134352", "09506000134369"


class Items:
    def product_group(self, gtin: str) -> str | None:
        return {GTIN: "冠脉支架"}.get(gtin)


@pytest.fixture
def uow():
    with in_memory(ChannelApplication, "user:channel") as app:
        yield ChannelUnitOfWork(app, items=Items())


@pytest.fixture
def world(uow):
    distributor = uuid4()
    parties.register_distributor(parties.RegisterDistributor(distributor_id=distributor, name="华东医疗", region="江苏省",
                                                             tier="gold"), uow)
    suzhou, hangzhou, named = uuid4(), uuid4(), uuid4()
    for hospital_id, name, province in ((suzhou, "苏大附一", "江苏省"), (hangzhou, "浙大一院", "浙江省"),
                                        (named, "浙江省人民医院", "浙江省")):
        parties.register_hospital(parties.RegisterHospital(hospital_id=hospital_id, name=name, province=province,
                                                           grade="3A"), uow)
    # By product group, in 江苏 for 2026; and one named 浙江 hospital, for the first half only.
    parties.authorize(parties.Authorize(distributor_id=distributor, number="SQ-1", product_groups=("冠脉支架",),
                                        provinces=("江苏省",), valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31)),
                      uow)
    parties.authorize(parties.Authorize(distributor_id=distributor, number="SQ-2", gtins=(GTIN,), hospitals=(named,),
                                        valid_from=date(2026, 1, 1), valid_to=date(2026, 6, 30)), uow)
    return {"distributor": distributor, "suzhou": suzhou, "hangzhou": hangzhou, "named": named}


def sold(world, hospital: str, day: date, gtin: str = GTIN, line_no: int = 1, report_id=None):  # noqa: ANN001, ANN201
    return diversion.SoldLine(report_id=report_id or uuid4(), report_reference="R-1",
                              distributor_id=world["distributor"], line_no=line_no, hospital_id=world[hospital],
                              gtin=gtin, lot="L1", serials=("S1", "S2"), quantity=2, sold_at=day)


def test_a_sale_inside_the_territory_and_period_raises_nothing(uow, world):
    assert diversion.check_sold_line(sold(world, "suzhou", date(2026, 5, 1)), uow) is None
    assert diversion.check_sold_line(sold(world, "named", date(2026, 6, 30)), uow) is None  # the last day counts


def test_a_sale_outside_the_territory_raises_one_alert_naming_the_units_and_the_authorization_it_breaks(uow, world):
    line = sold(world, "hangzhou", date(2026, 5, 1))
    alert = diversion.check_sold_line(line, uow)
    assert (alert.hospital_id, alert.province, alert.serials, alert.authorizations) == (
        world["hangzhou"], "浙江省", ["S1", "S2"], ["SQ-1", "SQ-2"])
    assert "do not cover 浙江省" in alert.problem
    assert diversion.check_sold_line(line, uow).id == alert.id  # the same line again: the same alert
    assert [n.topic.rsplit(".", 1)[-1] for n in uow.app.recorder.select_notifications(start=1, limit=100)
            if "DiversionAlert" in n.topic] == ["Raised"]


@pytest.mark.parametrize(("hospital", "day", "gtin", "problem"), [
    ("named", date(2026, 7, 1), GTIN, "do not cover 浙江省"),  # the day after SQ-2 ended
    ("suzhou", date(2027, 1, 1), GTIN, "no authorization (授权书) valid on 2027-01-01"),
    ("suzhou", date(2026, 5, 1), OTHER, "do not cover this product"),  # not in the group, not named
])
def test_period_edges_and_products_outside_every_authorization_are_diversion(uow, world, hospital, day, gtin, problem):
    alert = diversion.check_sold_line(sold(world, hospital, day, gtin), uow)
    assert problem in alert.problem


def test_an_alert_is_resolved_once_with_an_outcome(uow, world):
    alert = diversion.check_sold_line(sold(world, "hangzhou", date(2026, 5, 1)), uow)
    resolved = diversion.resolve_alert(diversion.ResolveAlert(alert_id=alert.id, outcome="confirmed",
                                                              resolution="罚款并扣减返利"), uow)
    assert resolved.outcome == "confirmed"
    again = diversion.resolve_alert(diversion.ResolveAlert(alert_id=alert.id, outcome="confirmed", resolution="x"), uow)
    assert again.version == resolved.version  # nothing new
    with pytest.raises(RuleViolation) as other:
        diversion.resolve_alert(diversion.ResolveAlert(alert_id=alert.id, outcome="false_alarm", resolution="x"), uow)
    assert other.value.rule == "diversion-resolved-once"


def test_a_city_authorization_covers_the_hospitals_of_that_city_only(uow, world):
    parties.authorize(parties.Authorize(distributor_id=world["distributor"], number="SQ-HZ", gtins=(GTIN,),
                                        cities=(("浙江省", "杭州市"),), valid_from=date(2026, 1, 1),
                                        valid_to=date(2026, 12, 31)), uow)
    in_hangzhou, in_ningbo = uuid4(), uuid4()
    for hospital_id, name, city in ((in_hangzhou, "杭州市第一人民医院", "杭州市"), (in_ningbo, "宁波市第一医院", "宁波市")):
        parties.register_hospital(parties.RegisterHospital(hospital_id=hospital_id, name=name, province="浙江省",
                                                           city=city, grade="3A"), uow)
    world.update(hangzhou_city=in_hangzhou, ningbo=in_ningbo)
    assert diversion.check_sold_line(sold(world, "hangzhou_city", date(2026, 5, 1)), uow) is None
    alert = diversion.check_sold_line(sold(world, "ningbo", date(2026, 5, 1)), uow)
    assert "do not cover 浙江省 宁波市" in alert.problem and "SQ-HZ" in alert.authorizations
