"""``hearing-server`` command line: serve, dev-cert, staff, hearing, events, exports, bundles."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from hearing_server.domain.exceptions import HearingServerError
from hearing_server.domain.hearing_state import HearingState
from hearing_server.domain.labels import LANGUAGE_TAGS
from hearing_server.domain.roles import StaffRole
from hearing_server.settings import Settings, load_settings, require_public_url
from transcript.verify import add_arguments as add_verify_arguments
from transcript.verify import run as run_verify

if TYPE_CHECKING:
    import asyncio

# Each command imports what it needs when it runs: ``verify`` (offline, on a bundle) must not
# load the database, web or media stacks, and ``--help`` should answer at once.

log = logging.getLogger("hearing_server")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _common(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("settings (override HEARING_* variables)")
    group.add_argument("--data-dir", type=Path, help="data folder (HEARING_DATA_DIR)")
    group.add_argument("--database-url", help="SQLAlchemy async URL (HEARING_DATABASE_URL)")
    group.add_argument("--public-url", help="base of invitation links (HEARING_PUBLIC_URL)")
    group.add_argument("--host", help="listen address (HEARING_HOST)")
    group.add_argument("--port", type=int, help="listen port (HEARING_PORT)")
    group.add_argument("--tls-cert", type=Path, help="PEM certificate (HEARING_TLS_CERT)")
    group.add_argument("--tls-key", type=Path, help="PEM private key (HEARING_TLS_KEY)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hearing-server", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    _common(commands.add_parser("serve", help="run the server"))

    dev_cert = commands.add_parser("dev-cert", help="make a self-signed TLS certificate")
    _common(dev_cert)
    dev_cert.add_argument(
        "--cert-host",
        "--for",
        dest="cert_hosts",
        action="append",
        default=[],
        help="IP or name the certificate is for (repeatable); defaults to --host",
    )
    dev_cert.add_argument("--out-dir", type=Path, help="where to write cert.pem and key.pem")

    staff = commands.add_parser("staff", help="staff accounts").add_subparsers(
        dest="staff_command", required=True
    )
    staff_add = staff.add_parser("add", help="add a staff account (password from stdin)")
    _common(staff_add)
    staff_add.add_argument("--role", choices=[r.value for r in StaffRole], required=True)
    staff_add.add_argument("--username", required=True)
    staff_add.add_argument("--display-name", default="")

    hearing = commands.add_parser("hearing", help="hearings").add_subparsers(
        dest="hearing_command", required=True
    )
    create = hearing.add_parser("create", help="schedule a hearing and print invitations")
    _common(create)
    create.add_argument("--case-number", required=True)
    create.add_argument("--title", required=True)
    create.add_argument("--cause-of-action", default="")
    create.add_argument("--courtroom", default="")
    create.add_argument("--start", help="ISO-8601 start with offset (default: in 10 minutes)")
    create.add_argument("--duration", type=int, default=60, help="minutes (default 60)")
    create.add_argument("--public", action="store_true")
    create.add_argument("--judge", required=True, help="judge's username")
    create.add_argument("--clerk", help="clerk's username")
    create.add_argument(
        "--party",
        action="append",
        default=[],
        metavar='ROLE:"Name"',
        help='participant, e.g. plaintiff:"Zhang San" (repeatable)',
    )
    create.add_argument("--json", action="store_true", help="print JSON")
    listing = hearing.add_parser("list", help="list hearings")
    _common(listing)
    listing.add_argument("--date", help="YYYY-MM-DD")
    listing.add_argument("--state", choices=[s.value for s in HearingState])
    listing.add_argument("--json", action="store_true")

    events = commands.add_parser("events", help="hearing event log").add_subparsers(
        dest="events_command", required=True
    )
    seal = commands.add_parser("seal-key", help="the court seal key").add_subparsers(
        dest="seal_command", required=True
    )
    _common(seal.add_parser("show", help="print the seal's public key and fingerprint"))

    bundle = commands.add_parser(
        "export-bundle", help="write a hearing's sealed bundle (transcript, recording, signatures)"
    )
    _common(bundle)
    bundle.add_argument("hearing_id", type=int)
    bundle.add_argument("--out", type=Path, required=True, help="the zip to write")
    bundle.add_argument(
        "--video", type=Path, help="the composite MP4 to include (default: the latest export-video)"
    )
    verify_bundle = commands.add_parser(
        "verify", help="check a sealed bundle offline (seal, hashes, signatures, event log)"
    )
    add_verify_arguments(verify_bundle)

    verify = events.add_parser("verify", help="check a hearing's hash chain")
    _common(verify)
    verify.add_argument("hearing_id", type=int)

    video = commands.add_parser("export-video", help="the hearing's recording as one MP4")
    _common(video)
    video.add_argument("hearing_id", type=int)
    video.add_argument("--out", type=Path, required=True, help="the MP4 to write")
    video.add_argument(
        "--lang", choices=tuple(LANGUAGE_TAGS.values()), default="zh-CN", help="labels and chapters"
    )
    tracks = commands.add_parser("export-tracks", help="the original tracks, not re-encoded")
    _common(tracks)
    tracks.add_argument("hearing_id", type=int)
    tracks.add_argument("--out", type=Path, required=True, help="folder to write into")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    overrides = {
        key: getattr(args, key, None)
        for key in ("data_dir", "database_url", "public_url", "host", "port", "tls_cert", "tls_key")
    }
    return load_settings(overrides=overrides)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when installed (less per-packet overhead for media), else asyncio's own loop."""
    import asyncio

    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def serve(settings: Settings) -> int:
    from aiohttp import web

    from hearing_server.app import create_app
    from hearing_server.tls import server_ssl_context

    require_public_url(settings)
    app = create_app(settings)
    context = server_ssl_context(settings)
    log.info("Hearing Server on %s (data in %s)", settings.effective_public_url, settings.data_dir)
    loop = new_event_loop()
    web.run_app(
        app, host=settings.host, port=settings.port, ssl_context=context, print=None, loop=loop
    )
    return 0


def dev_cert(settings: Settings, args: argparse.Namespace) -> int:
    from hearing_server.tls import make_dev_certificate

    hosts = args.cert_hosts or [settings.host]
    out_dir = args.out_dir or settings.data_dir / "tls"
    cert, key = make_dev_certificate(hosts, out_dir, now=datetime.now(UTC))
    print(f"certificate: {cert}\nprivate key: {key}")
    print(
        f"run: hearing-server serve --host 0.0.0.0 --public-url https://{hosts[0]}:{settings.port}"
        f" --tls-cert {cert} --tls-key {key}"
    )
    return 0


def seal_show(settings: Settings) -> int:
    from hearing_server.services.seal import load_or_create_seal

    seal = load_or_create_seal(settings.data_dir)
    print(seal.public_pem.decode("ascii"), end="")
    print(f"fingerprint (SHA-256 of SubjectPublicKeyInfo): {seal.fingerprint}")
    print(f"private key: {seal.path}")
    return 0


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = settings_from(args)
    if args.command == "verify":
        return run_verify(args)
    if args.command == "serve":
        return serve(settings)
    if args.command == "dev-cert":
        return dev_cert(settings, args)
    if args.command == "seal-key":
        return seal_show(settings)
    if args.command in ("export-video", "export-tracks"):
        from hearing_server.export_cli import export_tracks_command, export_video_command

        if args.command == "export-video":
            return export_video_command(settings, args.hearing_id, args.out, args.lang)
        return export_tracks_command(settings, args.hearing_id, args.out)
    import asyncio

    from hearing_server import admin_cli

    if args.command == "export-bundle":
        return asyncio.run(admin_cli.export_bundle(settings, args))
    if args.command == "staff":
        return asyncio.run(admin_cli.staff_add(settings, args, admin_cli.read_password()))
    if args.command == "hearing" and args.hearing_command == "create":
        result = asyncio.run(admin_cli.hearing_create(settings, args))
        if args.json:
            print(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            admin_cli.print_hearing(result)
        return 0
    if args.command == "hearing":
        hearings = asyncio.run(admin_cli.hearing_list(settings, args))
        if args.json:
            print(json.dumps(hearings, ensure_ascii=False, indent=2))
        for h in [] if args.json else hearings:
            print(
                f"{h['id']:>5}  {h['scheduled_start']}  {h['state']:<10}  "
                f"{h['case_number']}  {h['title']}"
            )
        return 0
    return asyncio.run(admin_cli.events_verify(settings, args.hearing_id))


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return run(argv)
    except HearingServerError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for name, message in exc.fields.items():
            print(f"  {name}: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
