"""Everything traceability reads from its read models (the projections): SQL lives here and nowhere else.

- the recall lookup, in steps: reach.py (the lots reached through kit assemblies: one recursive CTE, shared with
  the as-of lookup), lookup.py (one prepared statement: totals, the page of consignee rows, what each row got),
  lookup_details.py (the page's rows put together from it),
  serial_lookup.py (one unit), answers.py (the answer's shape);
- merged.py: several lookups at once, one row per consignee; case_consignees.py: a recall case's consignees;
- as_of.py: the lookup as the history stood at a time; lot_story.py: a lot's facts for EPCIS;
- master_data.py, recall_lists.py, sellout.py, lineage_facts.py: lists and facts;
- ports.py: the read models as the command handlers' ports.
"""

from services.traceability.queries.lookup import recall_lookup

__all__ = ["recall_lookup"]  # as the API, the bench and the tests ask it: on one connection of their own
