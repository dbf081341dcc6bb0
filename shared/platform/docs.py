"""/docs that works with no network: Swagger UI's JavaScript, CSS and icon are served from the swagger-ui-py
package installed with the project (Swagger UI 5, Apache-2.0), where FastAPI's default page loads them from a CDN
and stays blank offline. ReDoc is not offered: FastAPI's /redoc would load it from a CDN too.
"""

import importlib.util
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"


def swagger_ui_files() -> Path:
    # Located, not imported: importing swagger_ui loads its adapters for other web frameworks, unused here.
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed: reinstall the project (make venv)")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def serve_docs_offline(app: FastAPI) -> None:
    """/docs and its files, on an app created with docs_url=None and redoc_url=None (FastAPI's CDN pages off)."""
    app.mount(ASSETS_URL, StaticFiles(directory=swagger_ui_files()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")  # behind a proxy that mounts the service under a prefix
        return get_swagger_ui_html(openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - API docs",
                                   swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
                                   swagger_favicon_url=f"{root}{ASSETS_URL}/favicon-32x32.png")
