"""The back office speaks each manager's language: every page, with nothing left in English
but names and codes (checked against the catalogue), and money and numbers in their format."""

from __future__ import annotations

import pytest

from retail.i18n import LANGUAGES
from tests.i18n.catalogues import DOMAINS
from tests.i18n.test_catalogues import english_left, visible_text
from tests.server.factories import Chain, back_office, csrf_token

PAGES = ["/backoffice/", "/backoffice/locations/MAD-XANADU", "/backoffice/devices",
         "/backoffice/z-reports?store=MAD-XANADU"]


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_back_office_page_in_the_managers_language(chain: Chain, language: str) -> None:
    client = back_office(chain.app, "manager.madrid")
    home = client.get("/backoffice/").get_data(as_text=True)
    r = client.post("/backoffice/language", data={"language": language, "csrf_token": csrf_token(home),
                                                  "next": "/backoffice/devices"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/backoffice/devices")
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert f'<html lang="{language}">' in html
        assert english_left(html, DOMAINS["web"], language) == [], path
    # The choice stays with the manager: a new sign-in reads the same language.
    again = back_office(chain.app, "manager.madrid").get("/backoffice/").get_data(as_text=True)
    assert f'<html lang="{language}">' in again


def test_the_sign_in_page_follows_the_browser_and_names_come_from_the_locale_database(chain: Chain) -> None:
    login = chain.app.test_client().get("/backoffice/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert "Войти" in visible_text(login.get_data(as_text=True))
    client = back_office(chain.app, "admin")
    page = client.get("/backoffice/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "西班牙" in page and "中国" in page  # countries as CLDR names them, not "ES" and "CN"
    spanish = client.get("/backoffice/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "España" in spanish and "Ubicaciones" in spanish
