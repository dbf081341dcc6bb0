"""Which qualification a distributor lacks to sell a device on a day (shared/domain/licences.py)."""

from datetime import date

from shared.domain.licences import missing_licence


def doc(document_type: str, valid_from: date, valid_to: date) -> dict:
    return {"document_type": document_type, "number": "N", "valid_from": valid_from, "valid_to": valid_to}


LICENCE = doc("distribution_licence", date(2026, 1, 1), date(2028, 12, 31))


def test_class_iii_needs_a_distribution_licence_class_ii_a_filing_or_it_and_class_i_neither():
    day = date(2026, 12, 1)
    assert missing_licence([], 3, day).startswith("医疗器械经营许可证")
    assert missing_licence([LICENCE], 3, day) is None
    assert missing_licence([doc("filing_certificate", date(2026, 1, 1), date(2030, 1, 1))], 2, day) is None
    assert missing_licence([], 1, day) is None


def test_a_business_licence_lapsed_on_the_day_suspends_every_sale_and_its_last_day_still_counts():
    business = doc("business_licence", date(2020, 1, 1), date(2026, 11, 30))
    assert missing_licence([LICENCE, business], 3, date(2026, 11, 30)) is None
    assert missing_licence([LICENCE, business], 3, date(2026, 12, 1)).startswith("营业执照")
    assert missing_licence([business], 1, date(2026, 12, 1)).startswith("营业执照")
    renewed = doc("business_licence", date(2026, 12, 1), date(2046, 11, 30))
    assert missing_licence([LICENCE, business, renewed], 3, date(2026, 12, 1)) is None
