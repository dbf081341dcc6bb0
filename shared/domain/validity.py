"""The validity period of a licence, certificate or qualification (营业执照, 经营许可证, 备案凭证, 注册证 …): valid
from the first day to the last day, both included."""

from datetime import date

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator


def valid_on(valid_from: date, valid_to: date, day: date) -> bool:
    return valid_from <= day <= valid_to


class ValidityPeriod(BaseModel):
    """A licence's or certificate's validity: valid_to never before valid_from (a 422 naming valid_to)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    valid_from: date
    valid_to: date

    @field_validator("valid_to")
    @classmethod
    def _not_before_valid_from(cls, value: date, info: ValidationInfo) -> date:
        if "valid_from" in info.data and value < info.data["valid_from"]:
            raise ValueError("valid_to must not be before valid_from")
        return value
