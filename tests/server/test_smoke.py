from tests.server.factories import Chain


def test_chain_builds(chain: Chain) -> None:
    r = chain.api("admin").get("/locations")
    assert r.status_code == 200
    assert [loc["code"] for loc in r.json] == ["MAD-XANADU", "SHA-JINQIAO", "WH-ONLINE"]
