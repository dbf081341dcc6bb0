"""An uploaded sell-out workbook that would inflate beyond the bound is answered at once with a 413 problem naming the
rule, before anything parses it, and stores nothing; a report reference holding a bidirectional control is a 422."""

from datetime import timedelta
from uuid import uuid4

from shared.platform.auth import issue_token
from tests.apitools import stored
from tests.unit.test_sellout_file_bounds import with_sheet_data
from shared.domain.business_day import business_today

SALES = {"Authorization": f"Bearer {issue_token('hd-sales', ['channel_manager'])}"}
TODAY = business_today()


def form(reference: str = "HD-BOMB-1") -> dict[str, str]:
    return {"distributor_id": str(uuid4()), "report_reference": reference,
            "period_start": (TODAY - timedelta(days=30)).isoformat(), "period_end": TODAY.isoformat()}


def test_a_workbook_bomb_is_refused_with_413_naming_the_rule(settings, trace_api):
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    bomb = with_sheet_data(repeat=300, block=row * (1024 * 1024 // len(row)))  # 300 MB of rows in < 1.5 MB
    refused = trace_api.post("/sellout-reports/upload", headers=SALES, data=form(),
                             files={"file": ("流向.xlsx", bomb, "application/octet-stream")})
    assert refused.status_code == 413, refused.text
    problem = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (problem["rule"], problem["errors"][0]["field"], problem["errors"][0]["rule"]) == (
        "max-uncompressed-size", "file", "max-uncompressed-size")
    assert stored(trace_api.app.state.service.application) == 0


def test_a_report_reference_with_a_bidirectional_control_is_refused(settings, trace_api):
    csv = b"hospital_id,gtin,lot,quantity,sold_at\n"
    refused = trace_api.post("/sellout-reports/upload", headers=SALES, data=form("HD-\u202e1-OS"),
                             files={"file": ("x.csv", csv, "text/csv")})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "report_reference"
