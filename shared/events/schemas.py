"""Generate the JSON Schema of every event contract: `python -m shared.events.schemas` (or `make schemas`).

The files are committed; a contract test fails when they no longer match the models.

Only the current version of each event type is generated. The schema of an older version was
generated while it was current and stays committed, frozen, next to the newer one: there is no
model of it left to generate it from, and its golden examples are checked against it forever.
"""

import json
from pathlib import Path
from typing import Any

from shared.events import EVENT_TYPES
from shared.events.envelope import CloudEvent

SCHEMA_DIR = Path(__file__).parent / "schemas"


def schema_file_name(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}.json"


def schema_of(event_type: str, version: int) -> dict[str, Any]:
    """The committed schema of any version of an event type, current or frozen."""
    return json.loads((SCHEMA_DIR / schema_file_name(event_type, version)).read_text(encoding="utf-8"))


def schema_documents() -> dict[str, dict[str, Any]]:
    """The generated documents: the envelope and the current version of every event type."""
    documents = {"envelope.cloudevent.json": CloudEvent.model_json_schema()}
    for event_type, model in EVENT_TYPES.items():
        schema = model.model_json_schema()
        schema["$id"] = f"urn:erp:event:{event_type}:v{model.schema_version}"
        documents[schema_file_name(event_type, model.schema_version)] = schema
    return documents


def frozen_schema_names() -> list[str]:
    """The files of every older version of every event type: committed once, never regenerated."""
    return [schema_file_name(event_type, version)
            for event_type, model in sorted(EVENT_TYPES.items()) for version in range(1, model.schema_version)]


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    documents = schema_documents()
    for name, document in documents.items():
        (SCHEMA_DIR / name).write_text(render(document), encoding="utf-8")
    print(f"wrote {len(documents)} schemas to {SCHEMA_DIR}; kept {len(frozen_schema_names())} of older versions")


if __name__ == "__main__":
    main()
