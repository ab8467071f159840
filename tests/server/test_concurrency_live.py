"""Invariant 1 against a real server process, with shoppers in separate processes."""

from __future__ import annotations

import multiprocessing

from tests.server.factories import Chain
from tests.server.http_clients import post_many


def test_fifty_shoppers_in_five_processes_for_the_last_ten_units(chain: Chain, live_server: str) -> None:
    body = {"fulfilment": "pickup", "store": "MAD-XANADU",
            "lines": [{"sku": "PHONE-128-BLK", "quantity": 1}]}
    url = live_server + "/api/v1/orders"
    with multiprocessing.get_context("spawn").Pool(5) as pool:
        results = pool.starmap(post_many, [(url, chain.tokens["admin"], [body] * 10)] * 5)
    codes = sorted(code for batch in results for code in batch)
    assert codes == [201] * 10 + [409] * 40
    level = chain.api("admin").get("/locations/MAD-XANADU/stock/PHONE-128-BLK").json
    assert (level["on_hand"], level["reserved"], level["available"]) == (10, 10, 0)
    assert chain.api("admin").get("/inventory/verify").json["discrepancies"] == 0


def test_a_multi_line_order_racing_single_line_orders_never_reserves_partially(
    chain: Chain, live_server: str
) -> None:
    """EARBUDS 20 and PHONE 10 at Madrid: baskets of both race baskets of one phone."""
    both = {"fulfilment": "pickup", "store": "MAD-XANADU",
            "lines": [{"sku": "EARBUDS", "quantity": 1}, {"sku": "PHONE-128-BLK", "quantity": 1}]}
    phone = {"fulfilment": "pickup", "store": "MAD-XANADU",
             "lines": [{"sku": "PHONE-128-BLK", "quantity": 1}]}
    url, token = live_server + "/api/v1/orders", chain.tokens["admin"]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        both_codes, phone_codes = pool.starmap(
            post_many, [(url, token, [both] * 12), (url, token, [phone] * 12)])
    won_both = both_codes.count(201)
    assert won_both + phone_codes.count(201) == 10
    earbuds = chain.api("admin").get("/locations/MAD-XANADU/stock/EARBUDS").json
    assert earbuds["reserved"] == won_both  # an earbud is reserved only with its phone
    assert chain.api("admin").get("/inventory/verify").json["discrepancies"] == 0
