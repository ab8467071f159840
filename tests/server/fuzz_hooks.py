"""schemathesis hooks for the fuzz run (tests/server/test_api_fuzz.py), loaded through
SCHEMATHESIS_HOOKS: keep every request the server makes on this machine.

The one place the server itself sends a request to a URL a caller gave is the webhook ping;
subscriptions the fuzzer creates point at a closed port on the loopback, never elsewhere.
"""

from __future__ import annotations

from typing import Any

import schemathesis

NOWHERE = "http://127.0.0.1:9/plaza-fuzz"  # the discard port: nothing listens, nothing leaves


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if case.operation.method.upper() == "POST" and case.operation.path == "/api/v1/webhooks" \
            and isinstance(case.body, dict) and isinstance(case.body.get("url"), str):
        case.body["url"] = NOWHERE
