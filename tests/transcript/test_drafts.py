"""The speech-to-text seam: a draft is validated; any object with the methods is a source."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from transcript.drafts import DraftEntry, DraftSource
from transcript.exceptions import InvalidInput


def draft(**changes: object) -> DraftEntry:
    fields: dict[str, object] = {
        "draft_id": "d1",
        "participant_id": "p-plaintiff",
        "text": "我请求被告支付货款。",
        "media_offset_ms": 1_000,
        "duration_ms": 2_500,
        "confidence_permille": 870,
        "engine": "engine-x",
    }
    return DraftEntry(**{**fields, **changes})  # type: ignore[arg-type]


def test_draft_validation() -> None:
    assert draft().text == "我请求被告支付货款。"
    with pytest.raises(InvalidInput):
        draft(confidence_permille=1001)
    with pytest.raises(InvalidInput):
        draft(text=" ")
    with pytest.raises(InvalidInput):
        draft(media_offset_ms=-5)


async def test_a_source_is_anything_with_drafts_and_close() -> None:
    class ListSource:
        def __init__(self, items: list[DraftEntry]) -> None:
            self.items = items

        async def drafts(self) -> AsyncIterator[DraftEntry]:
            for item in self.items:
                yield item

        async def close(self) -> None:
            self.items = []

    source: DraftSource = ListSource([draft(), draft(draft_id="d2")])
    assert [d.draft_id async for d in source.drafts()] == ["d1", "d2"]
    await source.close()
