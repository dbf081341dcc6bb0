"""The pure pieces of the recall lookup: which question the parameters ask, lot keys, quantities."""

import pytest

from services.traceability.domain.lineage import AmbiguousLookup, Quantities, lookup_kind, lot_key, split_lot_key

GTIN = "09506000134352"


@pytest.mark.parametrize(("gtin", "lot", "serial", "kind"), [
    (GTIN, "L1", None, "lot"), (None, "L1", None, "lot_any_gtin"), (GTIN, None, "S1", "serial")])
def test_the_parameters_name_one_lookup(gtin, lot, serial, kind):
    assert lookup_kind(gtin, lot, serial) == kind


@pytest.mark.parametrize(("gtin", "lot", "serial"), [
    (None, None, None), (GTIN, None, None), (None, None, "S1"), (GTIN, "L1", "S1"), (None, "L1", "S1")])
def test_anything_else_is_ambiguous(gtin, lot, serial):
    with pytest.raises(AmbiguousLookup):
        lookup_kind(gtin, lot, serial)


@pytest.mark.parametrize("lot", ["L1", "0950600013435", "A B|C", "批号-1"])
def test_a_lot_key_splits_back_into_gtin_and_lot(lot):
    assert split_lot_key(lot_key(GTIN, lot)) == (GTIN, lot)


def test_quantities_outstanding_is_shipped_minus_returned_and_they_add_up():
    total = Quantities(10, 2) + Quantities(5, 5) + Quantities()
    assert (total.shipped, total.returned, total.outstanding) == (15, 7, 8)
