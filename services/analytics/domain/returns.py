"""What the return-reason analysis counts: the units that came back (ShipmentReturned), by why, what became of them,
product, lot, hospital, province or month, on the day in China the return was recorded."""

from typing import Literal

RETURN_GROUPS = ("reason", "disposition", "product", "lot", "hospital", "region", "month")
ReturnGroup = Literal["reason", "disposition", "product", "lot", "hospital", "region", "month"]
ReturnReason = Literal["damaged", "expired", "wrong_item", "recall", "other"]
