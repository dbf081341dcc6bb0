"""POST /udi/parse on the real inventory app (real PostgreSQL behind it): parsed UDIs, 422 problems, 401.

Needs the scanning router registered in services/inventory/web.py.
"""

import pytest

from shared.platform.auth import issue_token
from tests.udi_cases import MALFORMED_GS1, MALFORMED_HIBC


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token('wang', ['warehouse'])}"}



def test_a_gs1_datamatrix_scan_with_symbology_identifier_and_gs_is_parsed(inventory_api):
    # JSON carries GS as \u001d; (17) day 00 is the last day of the month
    response = inventory_api.post("/udi/parse", headers=auth(),
                                  json={"code": "]d201095060001343521728020010DEMO-2701A\u001d21SN42"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("scheme", "gtin", "device_identifier", "lot", "serial", "expiry",
                                 "symbology_identifier")} == {
        "scheme": "GS1", "gtin": "09506000134352", "device_identifier": "09506000134352", "lot": "DEMO-2701A",
        "serial": "SN42", "expiry": "2028-02-29", "symbology_identifier": "]d2"}
    assert body["raw"] == "]d201095060001343521728020010DEMO-2701A\u001d21SN42"
    assert body["labeler"] is None


def test_the_gs1_human_readable_form_is_parsed(inventory_api):
    response = inventory_api.post("/udi/parse", headers=auth(),
                                  json={"code": "(01)09506000134352(11)250101(17)270331(10)L1"})
    assert response.status_code == 200, response.text
    assert (response.json()["production_date"], response.json()["expiry"]) == ("2025-01-01", "2027-03-31")


def test_an_hibc_concatenated_code_is_parsed(inventory_api):
    # ANSI/HIBC 2.6 §2.2.1.1; check 3: 261 mod 43 = 3 (see tests/unit/test_udi.py)
    response = inventory_api.post("/udi/parse", headers=auth(), json={"code": "+A99912345/$$52001510X33"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("scheme", "labeler", "product", "unit_of_measure", "lot", "expiry", "gtin")} == {
        "scheme": "HIBC", "labeler": "A999", "product": "1234", "unit_of_measure": 5, "lot": "10X3",
        "expiry": "2020-01-15", "gtin": None}


# A few of the codes the parser's unit tests refuse, what they must say taken from the same table.
AT_THE_API = {"01095060001343531725123110ABC123", "(01)09506000134352(10)123456789012345678901",
              "(01)09506000134352(99x)12", "01095060001343521725", "+A123BJC5D6E71H"}


@pytest.mark.parametrize(("code", "rule", "message"),
                         [case for case in MALFORMED_GS1 + MALFORMED_HIBC if case[0] in AT_THE_API])
def test_a_bad_code_is_a_422_problem_naming_the_code_and_what_is_wrong(inventory_api, code, rule, message):
    response = inventory_api.post("/udi/parse", headers=auth(), json={"code": code})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"] == [{"field": "code", "rule": rule, "message": message}]
    assert problem["detail"] == f"code: {message}"


def test_an_empty_body_field_is_refused_by_validation(inventory_api):
    response = inventory_api.post("/udi/parse", headers=auth(), json={"code": ""})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "code"


def test_scanning_needs_a_token(inventory_api):
    response = inventory_api.post("/udi/parse", json={"code": "+A123BJC5D6E71G"})
    assert response.status_code == 401


def test_the_operation_is_in_the_openapi_document(inventory_api):
    operation = inventory_api.get("/openapi.json").json()["paths"]["/udi/parse"]["post"]
    assert operation["operationId"] == "parse_udi"
