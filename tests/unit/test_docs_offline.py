"""/docs of every service loads with no network: its page names only the service's own URLs, and each answers."""

import re

import pytest
from fastapi.testclient import TestClient

from shared.platform.settings import SERVICES
from tests.apps import web_app

# Where the page points the browser: script and stylesheet sources, icons, and the OpenAPI document's url.
REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|\burl\s*:\s*["']([^"']+)["']""")
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".json": "application/json"}


@pytest.mark.parametrize("service", SERVICES)
def test_docs_page_and_everything_it_loads_are_served_by_the_service_itself(service):
    app = web_app(service)
    client = TestClient(app)  # not entered: no lifespan, so no database or broker is needed for the docs
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    urls = [a or b for a, b in REFERENCE.findall(page.text)]
    assert {u.rsplit(".", 1)[-1] for u in urls} >= {"js", "css", "png", "json"}, urls
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), f"{url} is not on the service itself"
        response = client.get(url)
        assert response.status_code == 200, url
        expected = CONTENT_TYPES["." + url.rsplit(".", 1)[-1]]
        assert response.headers["content-type"].split(";")[0].replace("application/javascript", "text/javascript") \
            == expected, url
    bundle = client.get(next(u for u in urls if u.endswith("-bundle.js"))).text
    assert "SwaggerUIBundle" in bundle
    # FastAPI writes OpenAPI 3.1, which Swagger UI renders from version 5 on (4.x shows an error instead).
    assert client.get(app.openapi_url).json()["openapi"].startswith("3.1") and "isOAS31" in bundle


@pytest.mark.parametrize("service", SERVICES[:1])
def test_redoc_which_would_load_from_a_cdn_is_not_offered(service):
    client = TestClient(web_app(service))
    assert client.get("/redoc").status_code == 404
