"""`make run`: all five services (api, relay, worker each), the console's gateway, the demo data, the URLs.

A process that exits is restarted (with backoff, and said so here); only Ctrl-C or SIGTERM stops everything.
"""

import logging
import os
import signal
import sys
import time
from pathlib import Path

from services.demo import load_demo_data
from shared.platform.settings import SERVICES
from shared.platform.stack import GATEWAY, Stack, Supervisor


def _show_supervision() -> None:
    """The supervisor's lines go to the terminal with the prints, in order; other libraries' logs stay quiet."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    supervision = logging.getLogger("shared.platform.stack")
    supervision.addHandler(handler)
    supervision.setLevel(logging.INFO)


def main() -> None:
    """`make run`: start everything, keep it running, load the demo data, print the URLs, stop cleanly on Ctrl-C."""
    started = time.monotonic()
    _show_supervision()
    stack = Stack(env={}, log_dir=Path(os.environ.get("ERP_LOG_DIR", ".local/logs")))
    supervisor = Supervisor(stack)

    def _stop(*_: object) -> None:
        raise KeyboardInterrupt

    # Both set explicitly: a shell may start us with SIGINT ignored (e.g. in the background).
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        stack.start_all()
        stack.start_gateway()
        supervisor.start()
        stack.wait_until_ready(fail_on_exit=False)
        print(f"all {len(SERVICES)} services are up in {time.monotonic() - started:.1f}s (logs in {stack.log_dir}/)", flush=True)
        summary = load_demo_data({s: stack.url(s) for s in SERVICES})
        print(summary)
        for service in SERVICES:
            print(f"  {service:<13} {stack.url(service)}   docs: {stack.url(service)}/docs")
        print(f"  console       {stack.url(GATEWAY)}/   (development login: pick a role; the APIs are under"
              f" {stack.url(GATEWAY)}/api/<service>/)")
        print("A process that exits is restarted; Ctrl-C stops everything.", flush=True)
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("stopping...", flush=True)
        supervisor.stop()  # first: it would restart what stop_all stops
        stack.stop_all()
        print("stopped. Kafka and PostgreSQL keep running; `make down` stops them.", flush=True)


if __name__ == "__main__":
    main()
