"""Inventory's own settings, read from the environment once, when its application starts (beside the shared
Settings). A bad value stops the service at start-up instead of surprising a command later."""

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_NEAR_EXPIRY_THRESHOLDS = (180, 90, 30)


class InventorySettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    # Goods expiring within this many days of the receipt date are flagged (`near_expiry`) when received.
    near_expiry_days: int = Field(90, ge=0, alias="INVENTORY_NEAR_EXPIRY_DAYS")
    # New reservations need every unit confirmed by a UDI scan before dispatch.
    picking_required: bool = Field(True, alias="INVENTORY_PICKING_REQUIRED")
    # Days before expiry at which the near-expiry scan records StockNearingExpiry, widest first: "180,90,30".
    near_expiry_thresholds: Annotated[list[int], NoDecode] = Field(
        list(DEFAULT_NEAR_EXPIRY_THRESHOLDS), alias="INVENTORY_NEAR_EXPIRY_THRESHOLDS")
    # The provinces each warehouse serves, as JSON: {"WH-SH": ["上海市", "浙江省"], "WH-CD": ["四川省"]}. A hospital's
    # order is reserved from the warehouses serving its province first (FEFO among them), then from the others.
    warehouse_regions: dict[str, list[str]] = Field(default_factory=dict, alias="INVENTORY_WAREHOUSE_REGIONS")
    # A delivery plan's deliveries are reserved this many days before their date (the rest stay scheduled).
    delivery_horizon_days: int = Field(2, ge=0, le=60, alias="INVENTORY_DELIVERY_HORIZON_DAYS")

    @field_validator("near_expiry_thresholds", mode="before")
    @classmethod
    def _days_comma_separated(cls, value: object) -> list[int]:
        if not isinstance(value, str):
            return value  # type: ignore[return-value] - given as a list (tests), checked as one
        if not value.strip():
            return list(DEFAULT_NEAR_EXPIRY_THRESHOLDS)
        try:
            return [int(part) for part in value.split(",") if part.strip()]
        except ValueError:
            raise ValueError(f"whole days, comma-separated, e.g. 180,90,30 (not {value!r})") from None

    @field_validator("near_expiry_thresholds")
    @classmethod
    def _widest_first(cls, value: list[int]) -> list[int]:
        if not value or min(value) < 0:
            raise ValueError("at least one threshold, each a number of days >= 0")
        return sorted(set(value), reverse=True)
