"""Which licence a distributor needs to sell a device of a class (China GSP, 医疗器械经营监督管理办法):
class III needs a distribution licence (经营许可证), class II a filing certificate (备案凭证) — a distribution
licence is accepted for class II as well — and class I needs neither. Pure: the documents and the day in, the
missing requirement out."""

from datetime import date
from typing import Any

from shared.domain.validity import valid_on

BUSINESS_LICENCE, DISTRIBUTION_LICENCE, FILING_CERTIFICATE = "business_licence", "distribution_licence", "filing_certificate"
DOCUMENT_NAMES = {BUSINESS_LICENCE: "营业执照 business licence", DISTRIBUTION_LICENCE: "医疗器械经营许可证 distribution licence",
                  FILING_CERTIFICATE: "第二类医疗器械经营备案凭证 filing certificate"}

# Device class -> the document types of which one must be valid on the day of sale.
REQUIRED_FOR_CLASS: dict[int, tuple[str, ...]] = {
    1: (),
    2: (FILING_CERTIFICATE, DISTRIBUTION_LICENCE),
    3: (DISTRIBUTION_LICENCE,),
}


def missing_licence(documents: list[dict[str, Any]], device_class: int, day: date) -> str | None:
    """The document a distributor lacks to sell a device of `device_class` on `day`, or None when it may. A business
    licence (营业执照) on record that has lapsed by the day suspends every sale through it, whatever the class (合规准入:
    a company without a valid licence may not trade); one never recorded does not (distributors admitted before
    business licences were kept)."""
    business = [d for d in documents if d["document_type"] == BUSINESS_LICENCE]
    if business and not any(valid_on(d["valid_from"], d["valid_to"], day) for d in business):
        return DOCUMENT_NAMES[BUSINESS_LICENCE]
    required = REQUIRED_FOR_CLASS.get(device_class, (DISTRIBUTION_LICENCE,))
    if not required:
        return None
    if any(d["document_type"] in required and valid_on(d["valid_from"], d["valid_to"], day) for d in documents):
        return None
    return " or ".join(DOCUMENT_NAMES[t] for t in required)
