"""What a command is: a typed value, named as an order (`PlaceOrder`), with the facts the handler needs and nothing
else. Immutable and keyword-only: a command is built once, from a request or an event, and never changed."""

from dataclasses import dataclass
from typing import dataclass_transform


@dataclass_transform(frozen_default=True, kw_only_default=True)
class Command:
    """Subclasses are frozen, keyword-only dataclasses (`class PlaceOrder(Command): order_id: UUID ...`)."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(frozen=True, kw_only=True)(cls)
