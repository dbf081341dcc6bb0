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

    def _stop(*_: object) -> None:
        raise KeyboardInterrupt

    # Both set explicitly: a shell may start us with SIGINT ignored (e.g. in the background).
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        stack.start_all()
        stack.wait_until_ready()
        print(f"all five services are up in {time.monotonic() - started:.1f}s (logs in {stack.log_dir}/)")
        summary = load_demo_data({s: stack.url(s) for s in SERVICES})
        print(summary)
        for service in SERVICES:
            print(f"  {service:<13} {stack.url(service)}   docs: {stack.url(service)}/docs")
        print("Ctrl-C stops everything.")
        while True:
            stack.check_alive()
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("stopping...")
        stack.stop_all()
        print("stopped. Kafka and PostgreSQL keep running; `make down` stops them.")


if __name__ == "__main__":
    main()
