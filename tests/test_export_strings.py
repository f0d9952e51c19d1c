"""Exports name roles and stages with the catalogue's labels and read the rest of their words
(e.g. "no video") from the web client's string tables, which they must find."""

from __future__ import annotations

from hearing_server.domain.labels import Locale, web_strings
from hearing_server.services.export_inputs import LANGUAGES, strings


def test_export_finds_the_web_clients_strings() -> None:
    for language in LANGUAGES:
        table = strings(language)
        assert table["export.no_video"]
        locale = Locale.for_language(language)
        assert {key: table[key] for key in web_strings(locale)} == web_strings(locale)
