"""Generate the JSON Schema of every event contract: `python -m shared.events.schemas` (or `make schemas`).

The files are committed; a contract test fails when they no longer match the models.
"""

import json
from pathlib import Path
from typing import Any

from shared.events import EVENT_TYPES
from shared.events.envelope import CloudEvent

SCHEMA_DIR = Path(__file__).parent / "schemas"


def schema_documents() -> dict[str, dict[str, Any]]:
    documents = {"envelope.cloudevent.json": CloudEvent.model_json_schema()}
    for event_type, model in EVENT_TYPES.items():
        schema = model.model_json_schema()
        schema["$id"] = f"urn:erp:event:{event_type}:v{model.schema_version}"
        documents[f"{event_type}.v{model.schema_version}.json"] = schema
    return documents


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name, document in schema_documents().items():
        (SCHEMA_DIR / name).write_text(render(document), encoding="utf-8")
    print(f"wrote {len(schema_documents())} schemas to {SCHEMA_DIR}")


if __name__ == "__main__":
    main()
