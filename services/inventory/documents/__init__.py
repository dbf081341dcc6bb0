"""Files inventory writes: the item master in the UDI database's submission layout (udi_submission.py)."""
