"""Random and malformed updates through the whole application: nothing raises, nothing leaks.

Bounded in CI (FUZZ_EXAMPLES, default 300); full size by hand:
`FUZZ_EXAMPLES=30000 .venv/bin/python -m pytest tests/test_fuzz.py`.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.app import running
from bot.clock import ManualClock
from bot.context import BotApplication, Services
from bot.fakeapi import FakeBotApi
from tests.conftest import ORGANISER_ID, Harness, build_harness, make_config, sample_events

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
FUZZERS = [3001, 3002, 3003]
VICTIM = 3999
GROUP = -100123
NASTY = [
    "<b>",
    "</i>",
    "<a href='javascript:alert(1)'>x</a>",
    "&amp;",
    "&",
    "'; DROP TABLE users; --",
    '" OR 1=1 --',
    "\u202e\u200f",
    "\u200b",
    "\x00",
    "\x1b[31m",
    "\ufeff",
    "/start",
    "/agenda",
    "/forget",
    "%s%n",
    "{placeholder}",
    "🏳️‍🌈",
    "ي",
]
# Every button pattern the bot registers (test_every_button_pattern_is_fuzzed keeps it so).
CALLBACK_PREFIXES = [
    "ag:d:",
    "ag:d:2026-12-08:",
    "ag:d:2026-12-08:0:",
    "ag:f:",
    "ag:f:2026-12-08:",
    "ag:f:n1:",
    "ag:n:1:",
    "ag:n:1:0:",
    "ag:s:",
    "ag:t:",
    "ag:v:",
    "ag:v:2026-12-08:t:0:",
    "ag:v:n0:r:",
    "ag:w:",
    "ask:",
    "ask:a:",
    "ask:k:",
    "ask:n:",
    "ask:s:",
    "ask:t:",
    "ask:u:",
    "ask:v:",
    "bc:1:",
    "bc:1:go",
    "bc:1:K",
    "bc:1:a:all",
    "cons:",
    "dc:f:",
    "dc:f:concept-note",
    "dc:p:",
    "fb:",
    "fb:c:",
    "fb:cancel",
    "fb:del:",
    "fb:mine",
    "fb:o:",
    "fb:r:opening:",
    "fb:sg:",
    "fb:us:",
    "fb:x:",
    "forget:",
    "info:",
    "lang:",
    "menu:",
    "menu:agenda",
    "menu:info",
    "menu:language",
    "menu:my",
    "menu:now",
    "menu:venue",
    "mod:",
    "mv:c:opening:",
    "mv:h:",
    "mv:l:w:",
    "mv:s:",
    "mv:u:",
    "mv:x:",
    "my:",
    "my:ics",
    "org:",
    "pa:",
    "pa:1:",
    "pa:1:d",
    "pa:1:0:",
    "pl:1:",
    "pl:1:go",
    "pl:1:z",
    "pl:1:g",
    "pl:1:t:",
    "pl:1:m:",
    "pl:k:",
    "pl:k:s:",
    "pl:n:",
    "pl:n:opening",
    "pc:b:",
    "pc:b:opening",
    "pc:d:",
    "pc:h:",
    "pc:o:",
    "pc:o:1:w:",
    "pc:p:",
    "pc:p:1:r:",
    "pc:r:",
    "pc:u:",
    "pc:w:",
    "pc:w:opening:",
    "pq:a:",
    "pq:a:opening",
    "pq:l:",
    "pq:l:opening:",
    "pq:m:",
    "pq:n:",
    "pq:n:opening:",
    "pq:v:",
    "pq:x",
    "cal:renew",
    "wl:p:",
    "wl:p:0",
    "wl:s:",
    "wl:s:opening",
    "wl:r:",
    "wl:r:main-hall",
    "wl:n:",
    "wl:n:s:opening",
    "wl:n:r:main-hall",
    "wl:n:x:main-hall",
    "rc:del:",
    "rc:new",
    "rc:sg:",
    "rc:t:",
    "rc:us:",
    "rem:",
    "se:q:",
    "se:q:1:",
    "se:s:",
    "se:s:0:",
    "rm:b:",
    "rm:c:",
    "rm:l",
    "rm:s:",
    "set:digest:",
    "set:lead:",
    "su:c:",
    "su:j:",
    "su:l:",
    "su:o",
    "su:x:",
    "su:x:side-event-d1:",
    "su:y:",
    "sp:c:",
    "sp:l:",
    "sv:a:",
    "sv:a:0:",
    "sv:del",
    "sv:go",
    "sv:k:",
    "",
]
# Numbers no id can be (beyond SQLite's 64 bits, negative, digits int() refuses), and some that
# can: every numeric part of a button's data is tried with them.
NUMBERS = [
    "99999999999999999999",
    "9223372036854775808",
    "9223372036854775807",
    "-1",
    "-99999999999999999999",
    "0",
    "1",
    "²",
    "١",
    "+1",
    " 1",
]
numbers = st.one_of(
    st.sampled_from(NUMBERS),
    st.integers(-(10**21), 10**21).map(str),
)

texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(NASTY) | st.text(max_size=20), max_size=12).map("".join),
    st.builds(
        lambda c, n: c * n, st.sampled_from(["a", "é", "ي", "\u202e", "<"]), st.integers(1, 5000)
    ),
)
callback_data = st.builds(
    lambda prefix, rest: (prefix + rest).encode()[:64].decode(errors="ignore"),
    st.sampled_from(CALLBACK_PREFIXES),
    st.one_of(
        st.sampled_from(["geneva-2026", "nairobi-2027", "x", str(VICTIM), "1", "-1", "ar"]),
        st.text(max_size=40),
        numbers,
        st.builds(lambda a, b: f"{a}:{b}", numbers, numbers | st.sampled_from(["1", "0", "w"])),
    ),
).filter(bool)


@dataclass
class FuzzBot:
    loop: asyncio.AbstractEventLoop
    api: FakeBotApi
    app: BotApplication
    clock: ManualClock
    raised: list[BaseException] = field(default_factory=list)

    @property
    def services(self) -> Services:
        services: Services = self.app.bot_data["services"]
        return services

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def feed(self, data: dict[str, Any]) -> None:
        self.run(self.app.process_update(Update.de_json(data, self.app.bot)))


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[FuzzBot]:
    loop = asyncio.new_event_loop()
    start = sample_events().consultations["geneva-2026"].sessions[3].start
    clock = ManualClock(start)
    built = build_harness(make_config(tmp_path), clock)
    api, app = built.api, built.app
    fuzz = FuzzBot(loop, api, app, clock)

    async def spy(update: object, context: Any) -> None:
        fuzz.raised.append(context.error)

    app.add_error_handler(spy)
    context = running(app)
    loop.run_until_complete(context.__aenter__())
    try:
        for user in [*FUZZERS, VICTIM]:
            fuzz.feed(api.make_message(user, "/start"))
            fuzz.feed(
                api.make_callback(user, api.last_bot_message(user).message_id, "cons:geneva-2026")
            )
        consultation = sample_events().consultations["geneva-2026"]
        for session in consultation.sessions[:3]:
            fuzz.run(fuzz.services.agenda.set_star(VICTIM, consultation, session.id, starred=True))
        api.add_chat(GROUP, type="supergroup", title="<b>Delegates</b> '; --")
        yield fuzz
    finally:
        loop.run_until_complete(context.__aexit__(None, None, None))
        loop.close()


def _message(bot: FuzzBot, user: int, text: str, name: str, where: str) -> dict[str, Any]:
    if where == "group":
        return bot.api.make_message(
            user, text, first_name=name, chat_id=GROUP, chat_type="supergroup"
        )
    data = bot.api.make_message(user, text, first_name=name or "\u200f")
    if where == "edited":
        message = data.pop("message")
        message["edit_date"] = message["date"] + 1
        data["edited_message"] = message
    elif where == "channel":
        message = data.pop("message")
        message.pop("from", None)
        message["chat"] = {"id": -100999, "type": "channel", "title": name or "channel"}
        data["channel_post"] = message
    return data


action = st.one_of(
    st.tuples(
        st.just("message"),
        st.sampled_from(FUZZERS),
        texts,
        texts,
        st.sampled_from(["private", "private", "group", "edited", "channel"]),
    ),
    st.tuples(st.just("button"), st.sampled_from(FUZZERS), callback_data, st.booleans()),
    st.tuples(st.just("document"), st.sampled_from(FUZZERS), texts, st.binary(max_size=200)),
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(action, min_size=1, max_size=5))
def test_random_updates_break_nothing(bot: FuzzBot, actions: list[tuple[Any, ...]]) -> None:
    victim_before = bot.run(bot.services.agenda.personal(VICTIM, _geneva()))
    for kind, user, *rest in actions:
        bot.clock.advance(seconds=3)  # mostly below the flood limit; bursts still happen
        if kind == "message":
            text, name, where = rest
            bot.feed(_message(bot, user, text[:4096] or ".", name[:64], where))
        elif kind == "button":
            data, stale = rest
            mine = bot.api.bot_messages(user)
            if not mine:
                continue
            target = mine[0] if stale else mine[-1]
            bot.feed(bot.api.make_callback(user, target.message_id, data, check_button=False))
        else:
            caption, content = rest
            bot.feed(
                bot.api.make_document_message(
                    user, "agenda.ics", content, caption=caption[:1024] or None
                )
            )
    assert bot.raised == []
    assert [f"{c.method}: {c.error}" for c in bot.api.calls if not c.ok] == []
    for user in FUZZERS:
        profile = bot.run(bot.services.people.profile(user))
        assert not profile.roles, f"{user} gained {profile.roles}"
    assert bot.run(bot.services.agenda.personal(VICTIM, _geneva())) == victim_before
    # Nobody but an organiser composes or sends an announcement.
    for user in FUZZERS:
        assert bot.run(bot.services.broadcasts.store.draft_of(user)) is None
    assert bot.run(bot.services.broadcasts.recent(None)) == []
    # Nobody but a session's chair composes or runs a poll.
    assert bot.run(bot.services.polls.store.get(1)) is None
    # Nobody but an organiser sees the sign-up lists (headed 📋) or their exports.
    for user in FUZZERS:
        for message in bot.api.bot_messages(user):
            assert "📋" not in (message.plain_text() or ""), message.plain_text()
            assert message.document is None or "-signups-" not in message.document.filename
    # Nobody but a session's chairs approves, hides, pins or answers a question, nor gets the
    # chairs' live message.
    for session in _geneva().sessions:
        for status in ("shown", "answered", "hidden"):
            stored = bot.run(
                bot.services.panel.store.of_session("geneva-2026", session.id, [status])
            )
            assert stored == [], (session.id, status)
        for user in FUZZERS:
            assert bot.run(bot.services.panel.board("geneva-2026", session.id, user)) is None
        # Group chats and channels get no chatter from the bot.
    assert bot.api.bot_messages(GROUP) == []


def _geneva() -> Any:
    return sample_events().consultations["geneva-2026"]


def _registered_patterns(app: BotApplication) -> list[re.Pattern[str]]:
    patterns = []
    for handlers in app.handlers.values():
        for handler in handlers:
            if isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
                assert isinstance(handler.pattern, re.Pattern)
                patterns.append(handler.pattern)
    return patterns


def test_every_button_pattern_is_fuzzed(bot: FuzzBot) -> None:
    patterns = _registered_patterns(bot.app)
    assert len(patterns) > 40
    for pattern in patterns:
        tried = [p + end for p in CALLBACK_PREFIXES for end in ("", "1", "1:1")]
        assert any(pattern.match(data) for data in tried), pattern.pattern


# Each numeric part of every button's data; {n} is replaced by each number no id can be.
NUMBERED_BUTTONS = [
    "ag:d:2026-12-08:{n}",
    "ag:d:2026-12-08:{n}:",
    "ag:n:1:{n}",
    "ag:n:1:{n}:",
    "ag:v:2026-12-08:t:{n}:",
    "ask:a:{n}",
    "ask:k:{n}:cloakroom",
    "ask:n:{n}",
    "ask:s:{n}:cloakroom",
    "ask:t:{n}",
    "ask:u:{n}",
    "ask:v:{n}:1",
    "bc:{n}:go",
    "dc:p:{n}",
    "fb:del:{n}",
    "fb:r:opening:{n}",
    "fb:sg:{n}",
    "fb:us:{n}",
    "mv:c:opening:{n}",
    "mv:h:{n}:0",
    "mv:h:1:{n}",
    "mv:l:w:{n}",
    "mv:u:{n}:0",
    "pa:{n}:0",
    "pa:{n}:d",
    "pa:1:{n}",
    "pa:1:{n}:1",
    "pl:{n}:go",
    "pl:{n}:r",
    "pl:1:m:{n}",
    "pc:d:{n}:r:0",
    "pc:h:1:w:{n}",
    "pc:o:{n}:w:0",
    "pc:p:{n}:r:0",
    "pc:r:opening:{n}",
    "pc:u:{n}:r:0",
    "pc:w:opening:{n}",
    "pq:l:opening:{n}",
    "pq:v:{n}:0",
    "pq:v:1:{n}",
    "rc:del:{n}",
    "rc:sg:{n}",
    "rc:us:{n}",
    "se:q:{n}:0",
    "se:q:1:{n}",
    "se:s:{n}:localization",
    "rm:s:room-2:{n}",
    "set:digest:{n}",
    "set:lead:{n}",
    "sp:l:{n}",
    "sv:a:0:{n}",
    "sv:a:{n}:1",
    "sv:k:{n}",
    "wl:p:{n}",
]
NOT_IDS = ["99999999999999999999", "9223372036854775808", "-1", "-99999999999999999999", "²"]


@pytest.mark.parametrize("template", NUMBERED_BUTTONS)
async def test_a_number_no_id_can_be_is_an_out_of_date_button(
    harness: Harness, template: str
) -> None:
    """Pressed by an organiser (who passes every role check, so each parser is reached): an
    out-of-date pop-up, never a traceback (a 20-digit id overflowed SQLite's integers)."""
    raised: list[object] = []

    async def spy(update: object, context: Any) -> None:
        raised.append(context.error)

    harness.app.add_error_handler(spy)
    organiser = harness.chat(ORGANISER_ID)
    await organiser.send("/start")
    await organiser.press(sample_events().consultations["geneva-2026"].name.get("en"))
    for number in NOT_IDS:
        harness.clock.advance(seconds=3)
        await organiser.press_data(
            organiser.last.message_id, template.format(n=number), check=False
        )
        answer = harness.api.calls_to("answerCallbackQuery")[-1].params.get("text")
        assert (number, answer) == (number, "This button is out of date.")
    assert raised == []


@pytest.mark.parametrize(
    ("command", "usage"),
    [("/answer {n} Yes", "Usage: /answer 12"), ("/teach {n} cloakroom", "Usage: /teach 12")],
)
async def test_an_organisers_command_with_a_number_no_id_can_be_shows_its_usage(
    harness: Harness, command: str, usage: str
) -> None:
    organiser = harness.chat(ORGANISER_ID)
    for number in NOT_IDS:
        harness.clock.advance(seconds=3)
        await organiser.send(command.format(n=number))
        assert organiser.text().startswith(usage), number
