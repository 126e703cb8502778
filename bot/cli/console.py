"""The local console chat: the real application and handlers, talking to an in-process Bot API."""

from __future__ import annotations

import asyncio
import html
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from telegram import Update

from bot.app import build_application, running
from bot.clock import Clock, OffsetClock, SystemClock
from bot.config import Config
from bot.fakeapi import FakeBotApi, FakeMessage
from bot.handlers.polls import reschedule_closing
from bot.services.event_data import EventData
from bot.services.flood import UNLIMITED, FloodControl
from bot.storage.database import Database
from bot.storage.users import UserStore

_TAG = re.compile(r"<(/?)(b|strong|i|em|u|code|pre|s|a|blockquote)(?:\s[^>]*)?>")
BOLD, ITALIC, DIM, RESET = "\033[1m", "\033[3m", "\033[2m", "\033[0m"


def to_terminal(text: str, *, color: bool) -> str:
    """Telegram HTML as terminal text: bold and italic with ANSI codes when `color`."""

    def style(match: re.Match[str]) -> str:
        if not color:
            return ""
        closing, tag = match.group(1), match.group(2)
        if closing:
            return RESET
        return {"b": BOLD, "strong": BOLD, "i": ITALIC, "em": ITALIC, "code": DIM}.get(tag, "")

    return html.unescape(_TAG.sub(style, text))


@dataclass
class Shown:
    """A button as printed, under its message; stale once the bot edited or deleted that
    message (a real client no longer shows it)."""

    message_id: int
    button: dict[str, Any]
    stale: bool = False


STALE = (
    "(that button was on a message the bot has changed since; press one of the buttons it "
    "shows now)"
)
NO_BUTTON = "(no such button)"


@dataclass
class ConsoleChat:
    """Prints the bot's messages with numbered buttons; `!N` or `!label` presses a button."""

    api: FakeBotApi
    user_id: int
    out: TextIO
    color: bool
    downloads: Path
    buttons: list[Shown] = field(default_factory=list)
    history: list[Shown] = field(default_factory=list)

    def new_turn(self) -> None:
        """Numbers restart with each input; older buttons stay reachable by label."""
        self.history = (self.buttons + self.history)[:200]
        self.buttons = []

    def on_message(self, message: FakeMessage, event: str) -> None:
        if message.chat_id != self.user_id:
            return
        if event in ("edited", "deleted"):
            for shown in (*self.buttons, *self.history):
                if shown.message_id == message.message_id:
                    shown.stale = True
        if event == "deleted":
            return
        marker = " (edited)" if event == "edited" else ""
        write = self.out.write
        write(f"\n🤖 bot{marker}:\n")
        if message.kind == "document" and message.document is not None:
            self.downloads.mkdir(parents=True, exist_ok=True)
            target = self.downloads / message.document.filename
            target.write_bytes(message.document.content)
            write(f"📎 {message.document.filename} ({len(message.document.content)} bytes)")
            write(f" saved to {target}\n")
            if message.caption:
                write(to_terminal(message.caption, color=self.color) + "\n")
        elif message.kind == "photo" and message.photo is not None:
            self.downloads.mkdir(parents=True, exist_ok=True)
            target = self.downloads / (message.photo.filename or "photo.png")
            target.write_bytes(message.photo.content)
            write(f"🖼 image ({len(message.photo.content)} bytes) saved to {target}\n")
            if message.caption:
                write(to_terminal(message.caption, color=self.color) + "\n")
        elif message.kind == "venue" and message.venue is not None:
            venue = message.venue
            write(f"📍 {venue.get('title')}\n   {venue.get('address')}\n")
            location = venue.get("location") or {}
            write(f"   ({location.get('latitude')}, {location.get('longitude')})\n")
        elif message.text is not None:
            write(to_terminal(message.text, color=self.color) + "\n")
        else:
            write(f"[{message.kind}]\n")
        markup = message.reply_markup or {}
        rows = markup.get("inline_keyboard") or []
        if rows:
            for row in rows:
                labels = []
                for button in row:
                    self.buttons.append(Shown(message.message_id, button))
                    labels.append(f"[{len(self.buttons)}] {button.get('text')}")
                write("   " + "   ".join(labels) + "\n")
        self.out.flush()

    def on_answer(self, answer: dict[str, Any]) -> None:
        """The bot's answer to a press: a pop-up (or an alert to dismiss) when it has a text."""
        text = answer.get("text")
        if not text:
            return
        if answer.get("show_alert"):
            self.out.write(f"\n⚠️  alert (to dismiss): {text}\n")
        else:
            self.out.write(f"\n💬 pop-up: {text}\n")
        self.out.flush()

    def find_button(self, wanted: str) -> Shown | str:
        """The button `!wanted` presses (a number of the last turn's, or part of a label, the
        newest current button first), or what to tell the person at the keyboard."""
        wanted = wanted.strip()
        if wanted.isdigit():
            index = int(wanted) - 1
            if not 0 <= index < len(self.buttons):
                return NO_BUTTON
            shown = self.buttons[index]
            return STALE if shown.stale else shown
        lowered = wanted.casefold()
        if not lowered:
            return NO_BUTTON
        matches = [
            shown
            for shown in [*reversed(self.buttons), *self.history]
            if lowered in str(shown.button.get("text", "")).casefold()
        ]
        current = next((shown for shown in matches if not shown.stale), None)
        if current is not None:
            return current
        return STALE if matches else NO_BUTTON


_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class ConsoleRefused(Exception):
    """The console cannot start as asked; the message says why, for the command line."""


def console_zone(
    events: EventData, consultation_id: str | None, default: str | None = None
) -> ZoneInfo:
    """The time zone the console shows and reads times in: the delegate's consultation's (the
    chosen one, else the default, else the first there is)."""
    consultation = events.resolve(consultation_id, default) or next(
        iter(events.consultations.values())
    )
    return consultation.timezone


def clock_line(moment: datetime, zone: ZoneInfo) -> str:
    """`Tue 2026-12-08 10:15 Europe/Zurich`: the pretend clock, in a zone named."""
    return f"{moment.astimezone(zone):%a %Y-%m-%d %H:%M} {zone.key}"


async def wait_in_console(
    text: str,
    clock: Clock,
    zone: ZoneInfo,
    out: TextIO,
    moved: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """/wait 6m: move the pretend clock ahead (then `moved`: what waits on real time is set
    again), then let the reminders and polls that fell due go out."""
    parts = text.split()
    match = _DURATION.match(parts[1]) if len(parts) == 2 else None
    if match is None or not isinstance(clock, OffsetClock):
        out.write("(usage: /wait 6m, with s, m, h or d; needs --at)\n")
        return
    clock.advance(**{_UNITS[match.group(2)]: float(match.group(1))})
    if moved is not None:
        await moved()
    out.write(f"(the clock now reads {clock_line(clock.now(), zone)})\n")
    out.flush()
    # The delivery job ticks every tenth of a second; give it time to send what is due.
    await asyncio.sleep(1.5)


def parse_at(
    text: str, events: EventData, consultation_id: str | None, default: str | None = None
) -> datetime:
    """--at 2026-12-08T10:15, in the consultation's time zone unless an offset is given.

    A text that is not such a time raises ValueError with the message for the command line.
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"--at: '{text}' is not a time like 2026-12-08T10:15") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=console_zone(events, consultation_id, default))
    return moment


def shown_path(path: Path) -> str:
    """A path as the person at the terminal would type it: relative to here when it is below."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


async def check_user(config: Config, user_id: int) -> None:
    """Refuse to be a delegate of the real bot: the console would act as them (their agenda,
    their feedback) and receive what is theirs."""
    database = await Database.open(config.database_path)
    try:
        record = await UserStore(database.connection).get(user_id)
    finally:
        await database.close()
    if record is not None and not record.console:
        raise ConsoleRefused(
            f"User {user_id} is a delegate of the bot on Telegram in "
            f"{shown_path(config.database_path)}: the console chat will not act as them. "
            "Choose another --user."
        )


async def run_console(
    config: Config,
    events: EventData,
    *,
    lang: str | None,
    user_id: int,
    first_name: str,
    consultation_id: str | None,
    at: datetime | None,
    log_file: Path | None = None,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> None:
    """Chat as `user_id` in this terminal, on the bot's database, as a console delegate: no one
    on Telegram, reached by nothing the real bot sends, and reaching no one else."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    config = config.with_overrides(console_user=user_id)
    await check_user(config, user_id)
    clock: Clock = OffsetClock(at) if at else SystemClock()
    api = FakeBotApi(clock=clock.now)
    application = build_application(
        config, events, request=api.request(), get_updates_request=api.request(), clock=clock
    )
    interactive = stdin.isatty()
    chat = ConsoleChat(
        api,
        user_id,
        out,
        color=interactive and out.isatty(),
        downloads=config.database_path.parent / "console-downloads",
    )
    api.on_bot_message.append(chat.on_message)
    # The delegate's chat with the bot exists from earlier runs: reminders may reach it at once.
    api.add_chat(user_id, first_name=first_name)
    language_code = lang or "en"
    async with running(application):
        services = application.bot_data["services"]
        # One person at their own keyboard, or a script piped in at once: no flood to hold back.
        services.flood = FloodControl(clock, messages=UNLIMITED, buttons=UNLIMITED)
        await services.people.profile(user_id, first_name)
        if consultation_id:
            await services.people.set_consultation(user_id, consultation_id)

        async def zone() -> ZoneInfo:
            record = await services.people.get(user_id)
            chosen = record.consultation_id if record else None
            return console_zone(services.events, chosen, config.default_consultation)

        out.write(
            f"Console chat with the bot as user {user_id}, a console user: no one on Telegram, "
            "whom the bot running there never writes to.\n"
            f"Database: {shown_path(config.database_path)} (DATABASE_PATH: the bot's and every "
            "command's)\n"
            + (f"Logs: {shown_path(log_file)} (`chat -v` shows them here)\n" if log_file else "")
            + (
                f"The clock reads {clock_line(clock.now(), await zone())}; /wait 6m moves it.\n"
                if at
                else ""
            )
            + "Type a message or a command (/start, /help); !N presses button N, !text the "
            "button whose label has that text; /quit or Ctrl-D leaves.\n"
        )
        out.flush()
        read: Callable[[], str] = stdin.readline
        while True:
            if interactive:
                out.write("\nyou> ")
                out.flush()
            line = await asyncio.get_running_loop().run_in_executor(None, read)
            if not line:
                break
            text = line.rstrip("\n")
            if not text.strip():
                continue
            if not interactive:
                out.write(f"\nyou> {text}\n")
            if text.strip() in ("/quit", "/exit"):
                break
            if text.split()[0] == "/wait":
                await wait_in_console(
                    text, clock, await zone(), out, lambda: reschedule_closing(application)
                )
                continue
            if text.startswith("!"):
                found = chat.find_button(text[1:])
                chat.new_turn()
                if isinstance(found, str):
                    out.write(found + "\n")
                    continue
                if "url" in found.button:
                    out.write(f"(opens {found.button['url']})\n")
                    continue
                try:
                    data = api.make_callback(
                        user_id,
                        found.message_id,
                        found.button["callback_data"],
                        language_code=language_code,
                        first_name=first_name,
                    )
                except LookupError:  # changed in a way the console did not see
                    out.write(STALE + "\n")
                    continue
            else:
                chat.new_turn()
                data = api.make_message(
                    user_id, text, language_code=language_code, first_name=first_name
                )
            # Through the update queue, as polling and the webhook hand updates over (each
            # chat's in order, bot/updates.py); the next line once this one is handled.
            await application.update_queue.put(Update.de_json(data, application.bot))
            await application.update_queue.join()
            query = data.get("callback_query")
            if query is not None:
                chat.on_answer(api.callback_answers.get(query["id"], {}))
        out.write("\nBye!\n")
        out.flush()
