"""schemathesis hooks for the fuzz run (tests/server/test_api_fuzz.py), loaded through
SCHEMATHESIS_HOOKS: keep every request the server makes on this machine, and the run short.

The one place the server itself sends a request to a URL a caller gave is the webhook ping;
subscriptions the fuzzer creates point at a closed port on the loopback, never elsewhere.
Reading a payment may long-poll for up to 25 s (``?wait=``): the fuzzer's waits are cut to
one second, or one lucky guess of a payment id would hold the run that long.
"""

from __future__ import annotations

from typing import Any

import schemathesis

NOWHERE = "http://127.0.0.1:9/plaza-fuzz"  # the discard port: nothing listens, nothing leaves
LONGEST_WAIT = 1.0


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    method, path = case.operation.method.upper(), case.operation.path
    if method == "POST" and path == "/api/v1/webhooks" \
            and isinstance(case.body, dict) and isinstance(case.body.get("url"), str):
        case.body["url"] = NOWHERE
    if method == "GET" and path == "/api/v1/payments/{public_id}" and isinstance(case.query, dict) \
            and isinstance(case.query.get("wait"), int | float) and case.query["wait"] > LONGEST_WAIT:
        case.query["wait"] = LONGEST_WAIT
