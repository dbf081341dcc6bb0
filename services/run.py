"""`make run`: all five services (api, relay, worker each), the demo data, the URLs; Ctrl-C stops everything."""

import os
import signal
import time
from pathlib import Path

from services.demo import load_demo_data
from shared.platform.settings import SERVICES
from shared.platform.stack import Stack


def main() -> None:
    """`make run`: start everything, load the demo data, print the URLs, stop cleanly on Ctrl-C."""
    started = time.monotonic()
    stack = Stack(env={}, log_dir=Path(os.environ.get("ERP_LOG_DIR", ".local/logs")))
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        stack.start_all()
        stack.wait_until_ready()
        print(f"all five services are up in {time.monotonic() - started:.1f}s (logs in {stack.log_dir}/)")
        summary = load_demo_data({s: stack.url(s) for s in SERVICES})
        print(summary)
        for service in SERVICES:
            print(f"  {service:<13} {stack.url(service)}   docs: {stack.url(service)}/docs")
        print("Ctrl-C stops everything.")
        while not stopping:
            stack.check_alive()
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping...")
        stack.stop_all()


if __name__ == "__main__":
    main()
