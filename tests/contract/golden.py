"""Golden example envelopes: one file per event type and schema version, kept forever.

They must always load with the current code (README, "Schema evolution"): never edit one to make a test
pass; add an upcaster instead.
"""

import json
from pathlib import Path

from shared.events import CloudEvent

GOLDEN_DIR = Path(__file__).parent / "golden"


def golden_files() -> list[Path]:
    return sorted(GOLDEN_DIR.glob("*.json"))


def golden(event_type: str, version: int = 1) -> CloudEvent:
    return CloudEvent.model_validate(json.loads((GOLDEN_DIR / f"{event_type}.v{version}.json").read_text()))


def golden_from(*producers: str) -> list[CloudEvent]:
    envelopes = [CloudEvent.model_validate(json.loads(p.read_text())) for p in golden_files()]
    chosen = [e for e in envelopes if e.source.removeprefix("/erp/") in producers]
    return sorted(chosen, key=lambda e: e.position)
