"""Billing's own settings, read from the environment once, when its application starts (beside the shared Settings).
A bad value stops the service at start-up instead of surprising a command later."""

from decimal import Decimal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Public hospitals pay in 90-180 days and more (../ARCHITECTURE facts): the buckets reach past a year.
DEFAULT_AGING_BUCKETS = (30, 60, 90, 180, 365)

# Journal accounts of the ledger export (科目代码 as Chinese charts of accounts number them); override per company.
DEFAULT_ACCOUNTS = {
    "receivable": {"code": "1122", "name": "应收账款"},
    "revenue": {"code": "6001", "name": "主营业务收入"},
    "output_vat": {"code": "22210102", "name": "应交税费-应交增值税(销项税额)"},
    "bank": {"code": "1002", "name": "银行存款"},
}


class BillingSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    # Invoices fall due this many days after issue when neither the contract nor the customer's terms say.
    default_payment_terms_days: int = Field(90, ge=0, le=720, alias="BILLING_DEFAULT_PAYMENT_TERMS_DAYS")
    # The account's currency: a payment in another is booked at the rate given with it.
    account_currency: str = Field("CNY", pattern=r"^[A-Z]{3}$", alias="BILLING_ACCOUNT_CURRENCY")
    # The upper bounds (days) of the aging buckets; beyond the last: ">365". JSON list, e.g. [30, 60, 90, 180, 365].
    aging_buckets: list[int] = Field(list(DEFAULT_AGING_BUCKETS), alias="BILLING_AGING_BUCKETS")
    # DSO is judged over this many days of credit sales.
    dso_days: int = Field(90, ge=1, le=730, alias="BILLING_DSO_DAYS")
    # The ledger export's accounts: JSON {"receivable": {"code": "1122", "name": "应收账款"}, ...}.
    ledger_accounts: dict[str, dict[str, str]] = Field(default_factory=lambda: dict(DEFAULT_ACCOUNTS),
                                                       alias="BILLING_LEDGER_ACCOUNTS")
    # The provinces applying the two-invoice rule (两票制) to devices, JSON: ["福建省", "陕西省"]; "*" for all of them.
    two_invoice_provinces: list[str] = Field(default_factory=lambda: ["*"], alias="BILLING_TWO_INVOICE_PROVINCES")
    # A payment received in foreign currency may be booked at a rate within these bounds only (a typo guard).
    max_exchange_rate: Decimal = Field(Decimal("1000"), gt=0, alias="BILLING_MAX_EXCHANGE_RATE")

    @field_validator("aging_buckets")
    @classmethod
    def _ascending(cls, value: list[int]) -> list[int]:
        if not value or any(b <= 0 for b in value) or value != sorted(set(value)):
            raise ValueError("positive whole days, ascending, without repeats: e.g. [30, 60, 90, 180, 365]")
        return value

    @field_validator("ledger_accounts")
    @classmethod
    def _every_account(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        missing = set(DEFAULT_ACCOUNTS) - set(value)
        if missing or any(not a.get("code") or not a.get("name") for a in value.values()):
            raise ValueError(f"each of {sorted(DEFAULT_ACCOUNTS)} with a code and a name")
        return value
