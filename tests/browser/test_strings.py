"""Both string tables are complete: same keys, and every key the pages and scripts name exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

WEB_CLIENT = Path(__file__).resolve().parents[2] / "web_client"
LANGUAGES = ("zh-CN", "en")
# Keys built at run time from values the server sends.
FAMILIES = {
    "role": ["judge", "clerk", "admin", "plaintiff", "defendant", "agent", "witness",
             "interpreter", "observer"],
    "state": ["scheduled", "open", "in_session", "recessed", "closed", "signing", "sealed"],
    "stage": ["identity_check", "court_discipline", "investigation", "evidence", "debate",
              "final_statements", "mediation", "closing"],
    "court.action": ["open_lobby", "start", "recess", "resume", "close", "begin_signing", "seal"],
    "invitation.status": ["valid", "not_yet_valid", "expired", "used", "revoked"],
    "status": ["connected", "disconnected"],
    "recording.state": ["recording", "paused", "failed", "stopped"],
    "recording.reason": ["recess", "non_public_evidence", "mediation_caucus"],
    "hearing": ["removed", "denied", "left", "over"],
    "lobby": ["not_open"],
    "exports.kind": ["video", "tracks", "bundle"],
    "exports.start": ["video", "tracks", "bundle"],
    "exports.state": ["running", "done", "failed"],
    "quality": ["good", "fair", "poor", "figures"],
    "net": ["good", "poor", "running", "failed", "figures", "advice.latency", "advice.bandwidth",
            "advice.audio_only"],
    "error": ["invalid", "other_hearing", "revoked", "used", "not_yet_valid", "expired",
              "hearing_over", "credential_rejected", "rate_limited", "not_authenticated",
              "forbidden", "payload_too_large", "internal_error"],
}  # fmt: skip


def table(language: str) -> dict[str, str]:
    loaded = json.loads((WEB_CLIENT / "i18n" / f"{language}.json").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def named_keys() -> set[str]:
    keys: set[str] = set()
    for page in (WEB_CLIENT / "static").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        keys.update(re.findall(r'data-(?:i18n|i18n-label|i18n-alt|title-key)="([^"]+)"', text))
    for script in (WEB_CLIENT / "static" / "js").glob("*.js"):
        text = script.read_text(encoding="utf-8")
        keys.update(re.findall(r'\bt\(\s*"([a-z_.]+)"', text))
        keys.update(re.findall(r'(?:button|actionButton)\(\s*"([a-z_.]+)"', text))
        # transcript panes: textKey(key, ...), labelled(id, key), field(id, key)
        keys.update(re.findall(r'\btextKey\(\s*"([a-z_.]+)"', text))
        keys.update(re.findall(r'\b(?:labelled|field)\((?:"[^"]*"|\w+),\s*"([a-z_.]+)"', text))
    for family, values in FAMILIES.items():
        keys.update(f"{family}.{value}" for value in values)
    return keys


def test_same_keys_in_both_languages() -> None:
    chinese, english = table("zh-CN"), table("en")
    assert set(chinese) ^ set(english) == set()
    assert [k for k, v in {**chinese, **english}.items() if not v.strip()] == []


def test_every_named_key_exists() -> None:
    keys = named_keys()
    assert len(keys) > 100
    for language in LANGUAGES:
        missing = sorted(keys - set(table(language)))
        assert missing == [], f"{language} lacks {missing}"
