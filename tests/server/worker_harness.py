"""``store-server worker`` with a barrier inside the expiry pass, for the kill test.

    python -m tests.server.worker_harness worker --only orders.expire --name A

The real worker runs, with expiry batches of two orders; when the pass reaches its second batch
(the first one committed, the second one's orders locked and being released, not committed) it
prints ``HOLD expiry batch 2`` and waits on its standard input, where the test never writes:
the test kills it there with SIGKILL, at a moment it knows, without sleeping.
"""

from __future__ import annotations

import sys
from typing import Any

from store_server.orders import service

service.EXPIRY_BATCH = 2
_release = service._release_expired
_batches = [0]


def _held_release(*args: Any, **kwargs: Any) -> None:
    _batches[0] += 1
    if _batches[0] == 2:
        print("HOLD expiry batch 2", flush=True)
        sys.stdin.read()  # until the process is killed
    _release(*args, **kwargs)


service._release_expired = _held_release

if __name__ == "__main__":
    from store_server.cli import main

    main(sys.argv[1:])
