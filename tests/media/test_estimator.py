"""The estimator's faster parts give exactly aiortc's figures (they only replace loops)."""

from __future__ import annotations

import random

from aiortc import rate as aiortc_rate

from signaling.media.estimator import WindowRate, speed_up


def _arrivals(seed: int, count: int) -> list[tuple[int, int]]:
    """(value, now_ms): bursts, steady packets, pauses longer than the window."""
    rng = random.Random(seed)
    now = 3_900_000_000_000
    out = []
    for _ in range(count):
        now += rng.choice((0, 0, 1, 3, 13, 40, 400, 999, 1000, 1001, 2500))
        out.append((rng.randrange(0, 1400), now))
    return out


def test_window_rate_matches_aiortc_rate_counter() -> None:
    for seed in range(20):
        ours, theirs = WindowRate(1000, 8000), aiortc_rate.RateCounter(1000, 8000)
        assert ours.rate(5) == theirs.rate(5) is None
        for i, (value, now) in enumerate(_arrivals(seed, 600)):
            assert ours.rate(now) == theirs.rate(now), (seed, i)
            ours.add(value, now)
            theirs.add(value, now)
            if i % 157 == 156:
                ours.reset()
                theirs.reset()
        assert ours.rate(now + 10) == theirs.rate(now + 10)


def test_a_rate_is_a_rate() -> None:
    window = WindowRate(1000, 8000)
    for ms in range(0, 1000, 10):  # 125 bytes every 10 ms = 100 kbit/s
        window.add(125, ms)
    assert window.rate(999) == 100_000
    assert window.rate(5000) is None  # everything left the window


def _packets(seed: int) -> list[tuple[int, int, int]]:
    """(arrival ms, abs-send-time, size) of ~20 s of 600 kbit/s video with jitter and a
    congested stretch (arrivals falling behind send times)."""
    rng = random.Random(seed)
    out = []
    send_us = 0
    arrival_base = 3_900_000_000_000
    delay_us = 20_000
    for frame in range(300):
        congested = 100 <= frame < 160
        for _ in range(rng.randint(3, 9)):
            send_us += rng.randint(200, 1500)
            delay_us = max(1000, delay_us + (rng.randint(0, 900) if congested else -300))
            arrival = arrival_base + (send_us + delay_us + rng.randint(0, 2000)) // 1000
            abs_send_time = int(send_us / 1e6 * (1 << 18)) & 0xFFFFFF
            out.append((arrival, abs_send_time, rng.randint(900, 1200)))
        send_us += 66_666
    return out


def test_sped_up_estimator_sends_the_same_remb() -> None:
    for seed in range(3):
        ours, theirs = aiortc_rate.RemoteBitrateEstimator(), aiortc_rate.RemoteBitrateEstimator()
        speed_up(ours)
        results = []
        for arrival, send_time, size in _packets(seed):
            mine = ours.add(arrival, send_time, size, 1234)
            assert mine == theirs.add(arrival, send_time, size, 1234)
            results.append(mine)
        estimates = [r[0] for r in results if r is not None]
        assert len(estimates) > 10  # the stream produced REMBs to compare
        assert len(set(estimates)) > 3  # and they moved (the congested stretch)
