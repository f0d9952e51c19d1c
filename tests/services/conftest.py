from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.services.courtroom_fakes import Court, court_in


@pytest.fixture
async def court(tmp_path: Path) -> AsyncIterator[Court]:
    async with court_in(tmp_path) as court:
        yield court
