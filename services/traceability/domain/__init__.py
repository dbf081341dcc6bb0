"""Traceability's domain: aggregates, value objects and rules, pure (no I/O).

- recall.py: the recall case (its notices, returns and closure); scope.py: what it names and the four-eyes
  reductions of it; recall_number.py: RC-2026-0001, per year in China; deadlines.py: notice windows and statuses;
  consignees.py: who may be notified, effectiveness, each consignee counted once;
- adverse.py: adverse events and their report deadlines; master_data.py: the lots, hospitals and distributors a
  command must name known;
- sellout.py: distributors' sell-out reports and their flags; sellout_file.py and workbook.py: reading an uploaded
  report within bounds;
- lineage.py: which lookup was asked, lot keys, quantities; holdings.py: where recalled units are now, each once;
  epcis.py: a lot's story as EPCIS 2.0.
"""

from services.traceability.domain.lineage import AmbiguousLookup, Quantities, lookup_kind, lot_key, split_lot_key

__all__ = ["AmbiguousLookup", "Quantities", "lookup_kind", "lot_key", "split_lot_key"]
