"""`make run`: the whole hub on this machine until Ctrl-C.

Ports: MASH_APP_PORT (default 8000) and MASH_MOTO_PORT (default 5000).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType

from local.stack import LocalStack


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # Ctrl-C must stop the stack even when started from a shell that ignores SIGINT for
    # background jobs; `kill` (and CI tearing down) cleans up the same way.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    stack = LocalStack(
        app_port=int(os.environ.get("MASH_APP_PORT", "8000")),
        moto_port=int(os.environ.get("MASH_MOTO_PORT", "5000")),
    )
    try:
        stack.start()
    except RuntimeError as problem:
        raise SystemExit(f"Cannot start: {problem}") from None
    try:
        print(f"MASH referral hub   {stack.app_url}/", flush=True)
        print(f"Sent emails         {stack.app_url}/_local/outbox", flush=True)
        print(f"Exports received    {stack.app_url}/_local/exports", flush=True)
        print(f"AWS emulator (moto) {stack.moto_url}", flush=True)
        print("Ctrl-C to stop.", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
        print("\nStopped.", flush=True)


if __name__ == "__main__":
    main()
