"""One launcher for every process of every service: `python -m shared.platform.run ROLE SERVICE`.

ROLE is `web` (the API), `relay` (publishes the service's log to Kafka) or `worker` (its projections and process
managers); SERVICE is one of the registry's (shared/platform/registry.py).
"""

import sys

from shared.platform.api import serve
from shared.platform.process import run_consumers, run_relay
from shared.platform.registry import SERVICE_NAMES, definition
from shared.platform.settings import get_settings

ROLES = ("web", "relay", "worker")


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] not in ROLES or argv[1] not in SERVICE_NAMES:
        sys.exit(f"usage: python -m shared.platform.run {{{'|'.join(ROLES)}}} {{{'|'.join(SERVICE_NAMES)}}}")
    role, service = argv
    definition_ = definition(service)
    if role == "web":
        serve(definition_)
    elif role == "relay":
        run_relay(lambda: definition_.new_application(get_settings()))
    else:
        run_consumers(lambda: definition_.consumers(get_settings()))


if __name__ == "__main__":
    main(sys.argv[1:])
