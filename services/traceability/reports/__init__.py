"""Documents for regulators and partners: the neutral document shape and its PDF, Excel and CSV renderings
(documents.py), the two reports a recall owes the regulator (regulator.py), a lookup's spreadsheet export
(lookup_export.py) and the bilingual labels codes read as (labels.py)."""
