"""The export's picture: a grid of equal tiles, and when each overlay shows (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from recording.export_plan import Interval


@dataclass(frozen=True, slots=True)
class Tile:
    x: int
    y: int
    width: int
    height: int


def grid(count: int, width: int, height: int) -> list[Tile]:
    """``count`` equal 16:9 tiles, row by row, as square a grid as possible (1, 2 side by side,
    3-4 as 2x2, 5-6 as 3x2, 7-9 as 3x3, ...), positioned relative to the grid's own top left;
    ``grid_offset`` centres the grid in the picture. Sizes are even, as 4:2:0 video needs."""
    if count < 1:
        raise ValueError("a grid needs at least one tile")
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    tile_width = min(width // columns, height // rows * 16 // 9) // 2 * 2
    tile_height = tile_width * 9 // 16 // 2 * 2
    return [
        Tile((index % columns) * tile_width, (index // columns) * tile_height,
             tile_width, tile_height)
        for index in range(count)
    ]  # fmt: skip


def grid_offset(tiles: Sequence[Tile], width: int, height: int) -> tuple[int, int]:
    """Where the grid's top left goes so that it sits in the middle of the picture."""
    used_width = max(tile.x + tile.width for tile in tiles)
    used_height = max(tile.y + tile.height for tile in tiles)
    return (width - used_width) // 4 * 2, (height - used_height) // 4 * 2


def xstack_layout(tiles: Sequence[Tile]) -> str:
    return "|".join(f"{tile.x}_{tile.y}" for tile in tiles)


def enable_expression(intervals: Sequence[Interval]) -> str:
    """A libavfilter timeline expression true inside any interval (``t`` in seconds)."""
    if not intervals:
        return "0"
    return "+".join(
        f"between(t,{interval.start_ms / 1000:.3f},{interval.end_ms / 1000:.3f})"
        for interval in intervals
    )
