"""``hearing-server staff``, ``hearing``, ``events verify`` and ``export-bundle``: the commands
that work on the server's database (opened, migrated if need be, and closed by each)."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from hearing_server.domain.clock import SystemClock
from hearing_server.domain.exceptions import ValidationFailed
from hearing_server.domain.hearing_state import HearingState
from hearing_server.domain.roles import Role, StaffRole
from hearing_server.services.bundle import build_bundle, latest_video_export
from hearing_server.services.hearings import (
    HearingAccess,
    hearing_to_json,
    list_hearings,
    schedule_hearing,
)
from hearing_server.services.invitations import invitation_text
from hearing_server.services.participants import (
    add_participant,
    invitation_details,
    issue_invitation,
)
from hearing_server.services.principals import StaffPrincipal
from hearing_server.services.staff import create_staff, find_staff
from hearing_server.settings import Settings
from hearing_server.store.db import Database
from hearing_server.store.eventlog import verify_hearing_log


def read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise ValidationFailed("the passwords differ")
    return first


async def _with_database(settings: Settings) -> Database:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.effective_database_url)
    await database.create_schema(now=SystemClock().now())
    return database


async def staff_add(settings: Settings, args: argparse.Namespace, password: str) -> int:
    database = await _with_database(settings)
    try:
        async with database.write() as session:
            user = await create_staff(
                session,
                username=args.username,
                display_name=args.display_name,
                role=StaffRole(args.role),
                password=password,
                now=SystemClock().now(),
            )
    finally:
        await database.close()
    print(f"added {user.role} {user.username}")
    return 0


def parse_party(spec: str) -> tuple[Role, str]:
    role, sep, name = spec.partition(":")
    try:
        parsed = Role(role.strip())
    except ValueError:
        raise ValidationFailed(f"--party {spec!r}: unknown role {role!r}") from None
    if not sep or not name.strip():
        raise ValidationFailed(f"--party {spec!r}: use ROLE:Name")
    return parsed, name.strip()


async def hearing_create(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    now = SystemClock().now()
    start = (
        datetime.fromisoformat(args.start.replace("Z", "+00:00"))
        if args.start
        else now + timedelta(minutes=10)
    )
    if start.tzinfo is None:
        raise ValidationFailed("--start needs a time zone offset, e.g. +08:00")
    parties = [parse_party(spec) for spec in args.party]
    database = await _with_database(settings)
    try:
        async with database.write() as session:
            judge = await find_staff(session, args.judge)
            if judge is None or judge.id is None:
                raise ValidationFailed(f"no staff user {args.judge!r}")
            principal = StaffPrincipal(
                0, judge.id, judge.username, judge.display_name, StaffRole(judge.role)
            )
            values = {
                "case_number": args.case_number,
                "title": args.title,
                "cause_of_action": args.cause_of_action,
                "courtroom": args.courtroom,
                "scheduled_start": start.astimezone(UTC),
                "expected_duration_minutes": args.duration,
                "is_public": args.public,
            }
            hearing, judge_row = await schedule_hearing(
                session, values=values, creator=principal, judge=args.judge,
                clerk=args.clerk, now=now,
            )  # fmt: skip
            access = HearingAccess(hearing, principal, judge_row)
            invitations = []
            for role, name in parties:
                participant = await add_participant(
                    session, access, role=role, display_name=name, phone="", email="", now=now
                )
                issued = await issue_invitation(
                    session,
                    access,
                    participant,
                    now=now,
                    early_minutes=settings.invitation_early_minutes,
                )
                details = invitation_details(
                    hearing,
                    participant,
                    issued,
                    court_name=settings.court_name,
                    public_url=settings.effective_public_url,
                )
                invitations.append(
                    {
                        "participant_id": participant.id,
                        "role": role.value,
                        "name": name,
                        "link": details.link,
                        "account": issued.account,
                        "access_code": issued.code,
                        "text": {
                            "zh-CN": invitation_text(details, "zh-CN"),
                            "en": invitation_text(details, "en"),
                        },
                    }
                )
    finally:
        await database.close()
    return {"hearing": hearing_to_json(hearing), "invitations": invitations}


async def hearing_list(settings: Settings, args: argparse.Namespace) -> list[dict[str, Any]]:
    database = await _with_database(settings)
    admin = StaffPrincipal(0, 0, "cli", "cli", StaffRole.ADMIN)
    day = datetime.fromisoformat(args.date).replace(tzinfo=UTC) if args.date else None
    state = HearingState(args.state) if args.state else None
    try:
        async with database.read() as session:
            hearings = await list_hearings(session, admin, day_start=day, state=state)
    finally:
        await database.close()
    return [hearing_to_json(h) for h in hearings]


async def events_verify(settings: Settings, hearing_id: int) -> int:
    database = await _with_database(settings)
    try:
        async with database.read() as session:
            problems = await verify_hearing_log(session, hearing_id)
    finally:
        await database.close()
    if problems:
        for problem in problems:
            print(f"FAIL {problem}")
        print(f"hearing {hearing_id}: event log is NOT intact ({len(problems)} problem(s))")
        return 1
    print(f"hearing {hearing_id}: event log intact")
    return 0


async def export_bundle(settings: Settings, args: argparse.Namespace) -> int:
    database = await _with_database(settings)
    last = [-1]

    def progress(fraction: float) -> None:
        percent = int(fraction * 100)
        if percent // 10 != last[0] // 10:
            last[0] = percent
            print(f"\rwriting bundle: {percent:3d} %", end="", file=sys.stderr, flush=True)

    try:
        summary = await build_bundle(
            database, settings, args.hearing_id, args.out, clock=SystemClock(),
            composite=args.video or latest_video_export(settings.data_dir, args.hearing_id),
            progress=progress,
        )  # fmt: skip
    finally:
        await database.close()
    print(file=sys.stderr)
    print(f"bundle: {summary.path} ({summary.files} files)")
    print(f"signed: {summary.signed}, refused: {summary.refused}")
    print(f"manifest SHA-256: {summary.manifest_sha256}")
    print(f"sealed with court seal {summary.seal_fingerprint}")
    return 0


def print_hearing(result: dict[str, Any]) -> None:
    hearing = result["hearing"]
    print(
        f"hearing {hearing['id']}: {hearing['case_number']} {hearing['title']} "
        f"at {hearing['scheduled_start']}"
    )
    for invitation in result["invitations"]:
        who = f"{invitation['role']} {invitation['name']}"
        print(f"\n{who} (participant {invitation['participant_id']})")
        print(f"  link:        {invitation['link']}")
        print(f"  account:     {invitation['account']}")
        print(f"  access code: {invitation['access_code']}")
