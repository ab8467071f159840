from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from tests.server.factories import Chain, build_chain


@pytest.fixture
def chain(app: Flask, session: Session) -> Chain:
    return build_chain(app, session)
