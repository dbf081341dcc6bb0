"""Recall lineage rules: pure, no I/O."""

from services.traceability.domain.lineage import AmbiguousLookup, lookup_kind, lot_key, split_lot_key, Quantities

__all__ = ["AmbiguousLookup", "lookup_kind", "lot_key", "split_lot_key", "Quantities"]
