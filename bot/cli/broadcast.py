"""`python -m bot broadcast | broadcasts`: send or schedule an announcement from a terminal.

The command writes the broadcast into the bot's database as scheduled (for now, or for --at);
the running bot starts it within seconds, with the same outbox, pacing and report as one sent
from the chat. `--wait` follows it to the end.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import re
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.cli.data import invalid_data, unknown_consultation
from bot.clock import SystemClock
from bot.config import Config
from bot.fakeapi.html import HtmlParseError, parse_html
from bot.handlers.broadcast import announcement
from bot.i18n import SUPPORTED
from bot.services.broadcasts import (
    ROLES,
    TEXT_LIMIT,
    Audience,
    AudienceNotValid,
    Broadcasts,
    TimeInPast,
    TimeNotUnderstood,
    parse_local_time,
    text_length,
)
from bot.services.data_reading import EventDataError
from bot.services.event_data import Consultation, EventData, load_event_data
from bot.services.sanitise import clean
from bot.storage.broadcasts import CANCELLED, DONE, BroadcastRecord, BroadcastStore
from bot.storage.database import Database
from bot.storage.outbox import OutboxStore

_LANGUAGE_SUFFIX = re.compile(r"\.([a-z]{2})\.[^.]+$")
_TAG = re.compile(r"<[^>]*>")
WAIT_EVERY = 2.0


class Refused(Exception):
    """A problem with the command's input, told to the person at the terminal."""


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    send = commands.add_parser(
        "broadcast", help="send or schedule an announcement to delegates (the bot sends it)"
    )
    send.add_argument("--consultation", required=True, help="the consultation's id")
    send.add_argument(
        "--text-file",
        action="append",
        required=True,
        metavar="FILE",
        help="the text, plain UTF-8 (repeat for each language; name.fr.txt is French)",
    )
    send.add_argument(
        "--lang",
        action="append",
        choices=SUPPORTED,
        help="the language of each --text-file, in the same order (default: from the name, "
        "else en)",
    )
    send.add_argument(
        "--fallback",
        choices=SUPPORTED,
        help="the text that readers of other languages get (default: the first file's)",
    )
    send.add_argument(
        "--audience",
        default="consultation",
        help="consultation (default), all, lang:L, session:ID, role:organiser, role:moderator",
    )
    send.add_argument(
        "--at", help="when, in the consultation's time zone: 18:00 or 2026-12-09 08:30"
    )
    send.add_argument("--html", action="store_true", help="the files are Telegram HTML")
    send.add_argument("--yes", action="store_true", help="send without asking to confirm")
    send.add_argument("--wait", action="store_true", help="follow the sending to its report")

    send.set_defaults(handler=run_send)
    listing = commands.add_parser("broadcasts", help="list announcements and their delivery")
    listing.set_defaults(handler=run_list)
    listing.add_argument("--consultation", help="only this consultation (and global ones)")
    listing.add_argument("--cancel", type=int, metavar="N", help="stop broadcast N")


def _events(config: Config) -> EventData:
    try:
        return load_event_data(config.data_dir)
    except EventDataError as exc:
        raise Refused(invalid_data(config.data_dir, exc)) from exc


def _audience(text: str) -> Audience:
    kind, _sep, value = text.partition(":")
    if kind in ("all", "consultation") and not value:
        return Audience(kind)
    if kind == "lang" and value in SUPPORTED:
        return Audience("language", language=value)
    if kind == "session" and value:
        return Audience("session", session_id=value)
    if kind == "role" and value in ROLES:
        return Audience("role", role=value)
    raise Refused(
        f"--audience {text}: use consultation, all, lang:L ({', '.join(SUPPORTED)}), "
        "session:ID or role:organiser|moderator"
    )


def _texts(args: argparse.Namespace) -> dict[str, str]:
    files = [Path(name) for name in args.text_file]
    languages = list(args.lang or [])
    if languages and len(languages) != len(files):
        raise Refused("give one --lang per --text-file, in the same order (or none)")
    texts: dict[str, str] = {}
    for index, path in enumerate(files):
        match = _LANGUAGE_SUFFIX.search(path.name)
        language = (
            languages[index]
            if languages
            else (match.group(1) if match and match.group(1) in SUPPORTED else "en")
        )
        try:
            raw = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise Refused(f"{path}: cannot read it as UTF-8 text ({exc})") from exc
        if not raw:
            raise Refused(f"{path}: the file is empty")
        if args.html:
            try:
                visible = parse_html(raw).text
            except HtmlParseError as exc:
                raise Refused(f"{path}: not valid Telegram HTML: {exc}") from exc
            text = raw
        else:
            visible, text = raw, html.escape(raw, quote=False)
        if text_length(visible) > TEXT_LIMIT:
            raise Refused(
                f"{path}: {text_length(visible)} characters; one message holds {TEXT_LIMIT}"
            )
        if language in texts:
            raise Refused(f"{path}: a second text in {language}")
        texts[language] = text
    return texts


def _when(args: argparse.Namespace, consultation: Consultation) -> datetime:
    now = SystemClock().now()
    if not args.at:
        return now
    try:
        moment = parse_local_time(args.at, consultation.timezone, now)
    except TimeNotUnderstood as exc:
        raise Refused(f"--at {args.at}: write it like 18:00 or 2026-12-09 08:30") from exc
    if moment <= now:
        raise Refused(f"--at {args.at}: that time has passed")
    return moment


def _plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


async def _send(args: argparse.Namespace, config: Config) -> int:
    events = _events(config)
    consultation = events.get(args.consultation)
    if consultation is None:
        raise Refused(f"--consultation: {unknown_consultation(events, args.consultation)}")
    audience = _audience(args.audience)
    texts = _texts(args)
    fallback = args.fallback or next(iter(texts))
    if fallback not in texts:
        raise Refused(f"--fallback {fallback}: there is no text in that language")
    at = _when(args, consultation)
    database = await Database.open(config.database_path)
    try:
        broadcasts = _service(database, events, config)
        scope = None if audience.kind in ("all", "role") else consultation.id
        try:
            broadcasts.check_audience(audience, consultation.id)
        except AudienceNotValid as exc:
            raise Refused(f"--audience {args.audience}: no such session or value") from exc
        preview = await broadcasts.preview(texts, fallback, audience, scope or consultation.id)
        for language, count in sorted(preview.items()):
            print(f"--- {count} recipient(s) read this ({language}):")
            shown = events.get(scope)
            print(_plain(announcement(shown, texts, fallback, language)))
        total = sum(preview.values())
        print(f"--- {total} recipient(s) in all.")
        if total == 0:
            print("Nobody is in this audience: nothing sent.", file=sys.stderr)
            return 1
        when = "now" if not args.at else f"at {_local(at, consultation.timezone)}"
        if not args.yes and not _confirm(total, when):
            print("Nothing sent.")
            return 1
        try:
            record = await broadcasts.create_scheduled(
                consultation_id=scope,
                texts=texts,
                fallback=fallback,
                audience=audience,
                at=at,
            )
        except TimeInPast as exc:
            raise Refused(f"--at {args.at}: that time has passed") from exc
        print(
            f"Broadcast #{record.id} queued {when}; the running bot sends it at Telegram's pace. "
            "See `python -m bot broadcasts` or /broadcasts."
        )
        if args.wait:
            return await _follow(broadcasts, record.id, _Zones(events, consultation.id, config))
        return 0
    finally:
        await database.close()


def _confirm(total: int, when: str) -> bool:
    if not sys.stdin.isatty():
        raise Refused("not a terminal: add --yes to send without confirming")
    answer = input(f"Send it to {total} recipient(s) {when}? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _service(database: Database, events: EventData, config: Config) -> Broadcasts:
    return Broadcasts(
        BroadcastStore(database.connection),
        OutboxStore(database.connection),
        lambda: events,
        SystemClock(),
        organisers=config.organisers,
        moderators=config.moderators,
        default_consultation=config.default_consultation,
    )


def _local(moment: datetime, zone: ZoneInfo) -> str:
    """A time as both commands show it: in the consultation's time zone, named."""
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"


class _Zones:
    """The time zone a broadcast's times are shown in: its consultation's; for one to every
    consultation, the one asked about (--consultation), else the default, else the first."""

    def __init__(self, events: EventData, asked: str | None, config: Config) -> None:
        self._events = events
        self._fallback = (
            events.get(asked)
            or events.resolve(None, config.default_consultation)
            or next(iter(events.consultations.values()))
        ).timezone

    def of(self, record: BroadcastRecord) -> ZoneInfo:
        consultation = self._events.get(record.consultation_id)
        return consultation.timezone if consultation else self._fallback


def _line(record: BroadcastRecord, counts: dict[str, int], zone: ZoneInfo) -> str:
    shown = {k: v for k, v in counts.items() if v}
    figures = (
        ", ".join(f"{state} {count}" for state, count in shown.items()) or "no recipients yet"
    )
    text = _plain(record.texts.get(record.fallback or "", "")).replace("\n", " ")
    excerpt = text[:40] + ("…" if len(text) > 40 else "")
    when = record.started_at or record.scheduled_at or record.created_at
    return (
        f"#{record.id} {record.state:<9} {_local(when, zone)} "
        f"{record.consultation_id or 'all'} {record.audience.get('kind')}: {figures} — {excerpt}"
    )


async def _follow(broadcasts: Broadcasts, broadcast_id: int, zones: _Zones) -> int:
    last = ""
    while True:
        record = await broadcasts.get(broadcast_id)
        if record is None:
            return 1
        report = await broadcasts.report(record)
        line = _line(record, report.counts, zones.of(record))
        if line != last:
            print(line, flush=True)
            last = line
        if record.state in (DONE, CANCELLED):
            for user_id, name in report.unknown:
                print(f"  unknown (not resent): {clean(name, multiline=False)} ({user_id})")
            return 0
        await asyncio.sleep(WAIT_EVERY)


async def _list(args: argparse.Namespace, config: Config) -> int:
    events = _events(config)
    database = await Database.open(config.database_path)
    try:
        broadcasts = _service(database, events, config)
        zones = _Zones(events, args.consultation, config)
        if args.cancel is not None:
            if not await broadcasts.cancel(args.cancel):
                raise Refused(f"broadcast #{args.cancel} is not scheduled or sending")
            print(f"Broadcast #{args.cancel} stopped.")
        records = await broadcasts.recent(args.consultation, 20)
        if not records:
            print("No broadcasts yet.")
        for record in records:
            report = await broadcasts.report(record)
            print(_line(record, report.counts, zones.of(record)))
        return 0
    finally:
        await database.close()


def run_send(args: argparse.Namespace, config: Config) -> int:
    try:
        return asyncio.run(_send(args, config))
    except Refused as exc:
        print(str(exc), file=sys.stderr)
        return 2


def run_list(args: argparse.Namespace, config: Config) -> int:
    try:
        return asyncio.run(_list(args, config))
    except Refused as exc:
        print(str(exc), file=sys.stderr)
        return 2
