"""How long purchase and sales records of a lot are kept (README, "Retention").

《医疗器械监督管理条例》(国务院令第739号) Article 45 makes a distributor keep purchase-inspection (进货查验) and sales (销售)
records for the period the NMPA sets; 《医疗器械经营监督管理办法》 and 《医疗器械经营质量管理规范》 set it: until 2 years after
the device's expiry, not less than 5 years where it has none, and for implants (植入类医疗器械) for ever. We keep a
lot's records until the later of its expiry + 2 years and 5 years after the last day records were made of it (a
receipt, shipment, return, move or adjustment), so that a lot with a short or no expiry is still kept 5 years; an
implant's never become archivable. Archival is an export by operations: the application deletes nothing.
"""

from datetime import date

EXPIRY_YEARS = 2
MINIMUM_YEARS = 5


def years_after(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a year without it (as PostgreSQL's
    `date + interval 'n years'`)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def archivable_from(expiry: date, last_movement: date, implant: bool) -> date | None:
    """The first day a lot's records may be archived; None for an implant (kept for ever)."""
    if implant:
        return None
    return max(years_after(expiry, EXPIRY_YEARS), years_after(last_movement, MINIMUM_YEARS))


# The same rule in SQL over retention_lots (l.expiry, l.last_movement), for the report's filter and order; the
# integration test checks both answer alike (tests/integration/test_retention_report.py).
ARCHIVABLE_FROM_SQL = (f"greatest((l.expiry + interval '{EXPIRY_YEARS} years')::date,"
                       f" (l.last_movement + interval '{MINIMUM_YEARS} years')::date)")
