#!/usr/bin/env python3
"""Write the web client's generated vocabulary: static/js/protocol.js and the i18n keys.

python scripts/gen_protocol.py          # rewrite the files
python scripts/gen_protocol.py --check  # exit 1 if a checked-in file is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from hearing_server.domain.labels import LANGUAGE_TAGS  # noqa: E402
from hearing_server.domain.protocol_js import (  # noqa: E402
    I18N_JSON,
    PROTOCOL_JS,
    render_i18n,
    render_protocol_js,
)
from signaling.protocol.messages import PARSERS  # noqa: E402


def generated(root: Path) -> dict[Path, str]:
    """Each generated file's path and the text it must have."""
    files = {root / PROTOCOL_JS: render_protocol_js(PARSERS)}
    for locale, tag in LANGUAGE_TAGS.items():
        path = root / I18N_JSON.format(tag=tag)
        files[path] = render_i18n(json.loads(path.read_text("utf-8")), locale)
    return files


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for path, text in generated(root).items():
        if path.exists() and path.read_text("utf-8") == text:
            continue
        stale.append(path.relative_to(root))
        if not args.check:
            path.write_text(text, "utf-8")
    if args.check and stale:
        print("out of date (run scripts/gen_protocol.py):", *stale, file=sys.stderr)
        return 1
    for path in [] if args.check else stale:
        print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
