"""The local console chat: the real application and handlers, talking to an in-process Bot API."""

from __future__ import annotations

import asyncio
import html
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from telegram import Update

from bot.app import build_application, running
from bot.clock import Clock, OffsetClock, SystemClock
from bot.config import Config
from bot.fakeapi import FakeBotApi, FakeMessage
from bot.services.event_data import EventData
from bot.services.flood import UNLIMITED, FloodControl

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
class ConsoleChat:
    """Prints the bot's messages with numbered buttons; `!N` or `!label` presses a button."""

    api: FakeBotApi
    user_id: int
    out: TextIO
    color: bool
    downloads: Path
    buttons: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    history: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def new_turn(self) -> None:
        """Numbers restart with each input; older buttons stay reachable by label."""
        self.history = (self.buttons + self.history)[:200]
        self.buttons = []

    def on_message(self, message: FakeMessage, event: str) -> None:
        if message.chat_id != self.user_id or event == "deleted":
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
                    self.buttons.append((message.message_id, button))
                    labels.append(f"[{len(self.buttons)}] {button.get('text')}")
                write("   " + "   ".join(labels) + "\n")
        self.out.flush()

    def find_button(self, wanted: str) -> tuple[int, dict[str, Any]] | None:
        wanted = wanted.strip()
        if wanted.isdigit():
            index = int(wanted) - 1
            return self.buttons[index] if 0 <= index < len(self.buttons) else None
        lowered = wanted.casefold()
        for message_id, button in [*reversed(self.buttons), *self.history]:
            if lowered and lowered in str(button.get("text", "")).casefold():
                return message_id, button
        return None


_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


async def wait_in_console(text: str, clock: Clock, out: TextIO) -> None:
    """/wait 6m: move the pretend clock ahead, then let the reminders that fell due go out."""
    parts = text.split()
    match = _DURATION.match(parts[1]) if len(parts) == 2 else None
    if match is None or not isinstance(clock, OffsetClock):
        out.write("(usage: /wait 6m, with s, m, h or d; needs --at)\n")
        return
    clock.advance(**{_UNITS[match.group(2)]: float(match.group(1))})
    out.write(f"(the clock now reads {clock.now():%Y-%m-%d %H:%M} UTC)\n")
    out.flush()
    # The delivery job ticks every quarter second; give it time to send what is due.
    await asyncio.sleep(1.5)


def parse_at(text: str, events: EventData, consultation_id: str | None) -> datetime:
    """--at 2026-12-08T10:15, in the consultation's time zone unless an offset is given.

    A text that is not such a time raises ValueError with the message for the command line.
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"--at: '{text}' is not a time like 2026-12-08T10:15") from exc
    if moment.tzinfo is None:
        consultation = events.get(consultation_id) or next(iter(events.consultations.values()))
        moment = moment.replace(tzinfo=consultation.timezone)
    return moment


async def run_console(
    config: Config,
    events: EventData,
    *,
    lang: str | None,
    user_id: int,
    first_name: str,
    consultation_id: str | None,
    at: datetime | None,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
) -> None:
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
        # This fake server numbers its updates from 1 again: the ids of earlier runs mean nothing.
        await services.updates.forget_all()
        # One person at their own keyboard, or a script piped in at once: no flood to hold back.
        services.flood = FloodControl(clock, messages=UNLIMITED, buttons=UNLIMITED)
        await services.people.profile(user_id, first_name)
        if consultation_id:
            await services.people.set_consultation(user_id, consultation_id)
        out.write(
            "Console chat with the bot. Type a message or a command (/start, /help); "
            "!N presses button N; /quit or Ctrl-D leaves.\n"
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
                await wait_in_console(text, clock, out)
                continue
            if text.startswith("!"):
                found = chat.find_button(text[1:])
                chat.new_turn()
                if found is None:
                    out.write("(no such button)\n")
                    continue
                message_id, button = found
                if "url" in button:
                    out.write(f"(opens {button['url']})\n")
                    continue
                data = api.make_callback(
                    user_id,
                    message_id,
                    button["callback_data"],
                    language_code=language_code,
                    first_name=first_name,
                )
            else:
                chat.new_turn()
                data = api.make_message(
                    user_id, text, language_code=language_code, first_name=first_name
                )
            # Through the update queue, as polling and the webhook hand updates over (each
            # chat's in order, bot/updates.py); the next line once this one is handled.
            await application.update_queue.put(Update.de_json(data, application.bot))
            await application.update_queue.join()
        out.write("\nBye!\n")
        out.flush()
