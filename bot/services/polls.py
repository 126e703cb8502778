"""Quick polls during a live session: composed by a chair, answered by the session's audience.

Who may run a poll on a session and who its audience is come from a `SessionRoles` (wired in
bot/app.py): `ChairsAndAudience`, the session's chairs (and organisers), and the delegates who
opened its card, door QR code or questions in the last hour, or starred it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock
from bot.i18n import SUPPORTED, _, use_language
from bot.services.errors import DomainError, NotAllowed, SessionNotFound
from bot.services.event_data import EventData
from bot.services.feedback import Cell, Table
from bot.services.panel import PanelQuestions
from bot.services.sanitise import clean
from bot.storage.bookmarks import BookmarkStore
from bot.storage.outbox import Planned
from bot.storage.polls import (
    CLOSED,
    COUNTED,
    DRAFT,
    KINDS,
    MULTIPLE,
    NO_SUCH_OPTION,
    OPEN,
    POLL_CLOSED,
    SCALE,
    SCALE_POINTS,
    UNCHANGED,
    PollRecord,
    PollStore,
    PollText,
    Tally,
)

logger = logging.getLogger(__name__)

# Outbox kinds: the poll as each recipient gets it; its message edited to the final results
# when it closes; the results sent to the chair when it closed on its own.
POLL = "poll"
POLL_FINAL = "poll_final"
POLL_REPORT = "poll_report"

MIN_OPTIONS = 2
MAX_OPTIONS = 10
QUESTION_LIMIT = 300
OPTION_LIMIT = 100  # an option is a button's label, which must read in full on a phone
CLOSE_CHOICES = (2, 5, 10, 15)  # minutes offered for "close after"
AWAIT_FOR = timedelta(minutes=30)
# The audience: who opened the session's card, QR code or questions this recently (or starred it).
RECENT = timedelta(hours=1)
POLL_LIFETIME = timedelta(days=1)  # an open poll's message is not worth sending after this


class SessionRoles(Protocol):
    """Who chairs a session, and who attends it now."""

    async def is_chair(self, user_id: int, consultation_id: str, session_id: str) -> bool: ...

    async def chairs_any(self, user_id: int, consultation_id: str) -> bool: ...

    async def recent_audience(
        self, consultation_id: str, session_id: str, since: datetime
    ) -> list[int]: ...


class ChairsAndAudience:
    """A session's chairs run its polls (bot/services/panel.py: sessions.yaml's `chairs`,
    /chairs, organisers); its audience is whoever opened its card, door QR code or questions
    since the time asked, and whoever starred it."""

    def __init__(self, panel: PanelQuestions, bookmarks: BookmarkStore, *, console: bool) -> None:
        self._panel = panel
        self._bookmarks = bookmarks
        self._console = console

    async def is_chair(self, user_id: int, consultation_id: str, session_id: str) -> bool:
        return await self._panel.is_chair(user_id, consultation_id, session_id)

    async def chairs_any(self, user_id: int, consultation_id: str) -> bool:
        return await self._panel.chairs_any(user_id, consultation_id)

    async def recent_audience(
        self, consultation_id: str, session_id: str, since: datetime
    ) -> list[int]:
        visitors = await self._panel.audience(consultation_id, session_id, since)
        starred = await self._bookmarks.starred_by(
            consultation_id, session_id, console=self._console
        )
        return list(dict.fromkeys([*visitors, *starred]))


class PollNotFound(DomainError):
    """No such poll, or not one this chair may handle."""


class NotADraft(DomainError):
    """The poll was opened (or closed) already."""


class PollClosed(DomainError):
    """The poll is closed: answers are no longer counted."""


class NotSentTo(DomainError):
    """The poll was not sent to this delegate (an old or forged button)."""


class PollTextInvalid(DomainError):
    """The text does not make a poll; `reason` says why (one of the constants below)."""

    def __init__(self, reason: str, *, expected: int = 0, found: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expected = expected
        self.found = found


class NothingToOpen(DomainError):
    """The draft has no text yet, or no one to send it to."""

    def __init__(self, no_audience: bool = False) -> None:
        super().__init__("nothing to open")
        self.no_audience = no_audience


EMPTY = "empty"
TOO_FEW = "too_few"
TOO_MANY = "too_many"
TOO_LONG = "too_long"
COUNT_DIFFERS = "count_differs"


@dataclass(frozen=True)
class Awaited:
    poll_id: int
    language: str
    until: datetime


@dataclass(frozen=True)
class Standing:
    """A delegate's place in a poll: sent it, answered, and their options."""

    sent: bool
    answered: bool
    chosen: frozenset[int]


def parse_text(kind: str, text: str) -> PollText:
    """A chair's message: the question on the first line, then one option a line (a 1–5 scale
    has none). Bullets and numbers in front of the options are left out."""
    lines = [clean(line, multiline=False).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise PollTextInvalid(EMPTY)
    question, options = lines[0], [_unbulleted(line) for line in lines[1:]]
    options = [option for option in options if option]
    if len(question) > QUESTION_LIMIT or any(len(o) > OPTION_LIMIT for o in options):
        raise PollTextInvalid(TOO_LONG)
    if kind == SCALE:
        if options:
            raise PollTextInvalid(TOO_MANY, expected=0, found=len(options))
        return PollText(question, ())
    if len(options) < MIN_OPTIONS:
        raise PollTextInvalid(TOO_FEW, found=len(options))
    if len(options) > MAX_OPTIONS:
        raise PollTextInvalid(TOO_MANY, expected=MAX_OPTIONS, found=len(options))
    return PollText(question, tuple(options))


def _unbulleted(line: str) -> str:
    stripped = line.lstrip("-•*–—· ").strip()
    head, dot, rest = stripped.partition(".")
    if dot and head.isdigit() and len(head) <= 2:
        return rest.strip()
    head, paren, rest = stripped.partition(")")
    if paren and head.isdigit() and len(head) <= 2:
        return rest.strip()
    return stripped


def text_for(poll: PollRecord, reader: str | None) -> tuple[str, PollText]:
    """The language a reader gets the poll in (theirs if written, else the poll's) and its text."""
    if reader in poll.texts:
        assert reader is not None
        return reader, poll.texts[reader]
    if poll.language in poll.texts:
        return poll.language, poll.texts[poll.language]
    language = sorted(poll.texts)[0]
    return language, poll.texts[language]


def option_labels(poll: PollRecord, text: PollText) -> list[str]:
    if poll.kind == SCALE:
        return [str(n) for n in range(1, SCALE_POINTS + 1)]
    return list(text.options)


def poll_key(poll_id: int, user_id: int) -> str:
    return f"{POLL}:{poll_id}:{user_id}"


def subject_of(poll_id: int) -> str:
    return f"{POLL}:{poll_id}"


class Polls:
    """Composing, opening, answering and closing polls, and their results."""

    def __init__(
        self,
        store: PollStore,
        roles: SessionRoles,
        clock: Clock,
        events: Callable[[], EventData],
    ) -> None:
        self.store = store
        self.roles = roles
        self._clock = clock
        self._events = events
        self._awaiting: dict[int, Awaited] = {}
        # Polls once opened: their texts no longer change, and only close() changes their state
        # (this process is the only one that writes them). A burst of answers reads none again.
        self._opened: dict[int, PollRecord] = {}
        # Called with a poll that just opened with a closing time (the handlers schedule it).
        self.on_open: list[Callable[[PollRecord], None]] = []
        # Called with (consultation, session) when a poll opens, closes or counts an answer
        # (bot/web/wall.py wakes the room screens).
        self.on_change: list[Callable[[str, str], None]] = []

    async def load(self) -> None:
        """At start: the drafts whose chairs were about to type a text."""
        for record in await self.store.awaiting():
            if record.created_by and record.awaiting and record.awaiting_until:
                self._awaiting[record.created_by] = Awaited(
                    record.id, record.awaiting, record.awaiting_until
                )

    async def get(self, poll_id: int) -> PollRecord | None:
        """The poll (one opened or closed read once, then kept)."""
        kept = self._opened.get(poll_id)
        if kept is not None:
            return kept
        poll = await self.store.get(poll_id)
        if poll is not None and poll.state != DRAFT:
            self._opened[poll_id] = poll
        return poll

    # --- who may ---------------------------------------------------------------------------

    async def may_chair(self, user_id: int, consultation_id: str, session_id: str) -> bool:
        return await self.roles.is_chair(user_id, consultation_id, session_id)

    async def chairs_any(self, user_id: int, consultation_id: str) -> bool:
        """Whether the user chairs some session of the consultation (runs polls at all)."""
        return await self.roles.chairs_any(user_id, consultation_id)

    async def _session(self, consultation_id: str, session_id: str) -> None:
        consultation = self._events().get(consultation_id)
        if consultation is None or consultation.session(session_id) is None:
            raise SessionNotFound(session_id)

    async def chaired(self, user_id: int, poll_id: int) -> PollRecord:
        """The poll, if this user chairs its session (else PollNotFound)."""
        poll = await self.store.get(poll_id)
        if poll is None or not await self.may_chair(
            user_id, poll.consultation_id, poll.session_id
        ):
            raise PollNotFound(str(poll_id))
        return poll

    async def draft(self, user_id: int, poll_id: int) -> PollRecord:
        poll = await self.chaired(user_id, poll_id)
        if poll.state != DRAFT:
            raise NotADraft(str(poll_id))
        return poll

    # --- composing -------------------------------------------------------------------------

    async def new_draft(
        self, user_id: int, consultation_id: str, session_id: str, kind: str, language: str
    ) -> PollRecord:
        if kind not in KINDS:
            raise PollTextInvalid(EMPTY)
        await self._session(consultation_id, session_id)
        if not await self.may_chair(user_id, consultation_id, session_id):
            raise NotAllowed(session_id)
        poll_id = await self.store.create(
            consultation_id, session_id, user_id, kind, language, self._clock.now()
        )
        poll = await self.store.get(poll_id)
        assert poll is not None
        await self.expect(poll, language)
        return poll

    def expected(self, user_id: int) -> Awaited | None:
        """The draft and language the chair's next message is for (synchronous: a filter)."""
        awaited = self._awaiting.get(user_id)
        if awaited is None or awaited.until <= self._clock.now():
            return None
        return awaited

    async def expect(self, poll: PollRecord, language: str) -> None:
        assert poll.created_by is not None
        until = self._clock.now() + AWAIT_FOR
        await self.store.set_awaiting(poll.id, language, until)
        self._awaiting[poll.created_by] = Awaited(poll.id, language, until)

    async def stop_expecting(self, user_id: int) -> None:
        awaited = self._awaiting.pop(user_id, None)
        if awaited is not None:
            await self.store.set_awaiting(awaited.poll_id, None, None)

    async def set_text(self, poll: PollRecord, language: str, text: str) -> PollRecord:
        """The question and options in `language`; a translation has the first's options."""
        if language not in SUPPORTED:
            raise PollTextInvalid(EMPTY)
        parsed = parse_text(poll.kind, text)
        first = not poll.texts or set(poll.texts) == {language}
        if not first and poll.kind != SCALE and len(parsed.options) != poll.option_count:
            raise PollTextInvalid(
                COUNT_DIFFERS, expected=poll.option_count, found=len(parsed.options)
            )
        await self.store.set_text(poll.id, language, parsed, first=first)
        if poll.created_by is not None:
            await self.stop_expecting(poll.created_by)
        fresh = await self.store.get(poll.id)
        assert fresh is not None
        return fresh

    async def set_close_after(self, poll: PollRecord, minutes: int | None) -> PollRecord:
        if minutes is not None and minutes not in CLOSE_CHOICES:
            raise PollTextInvalid(EMPTY)
        await self.store.set_close_after(poll.id, minutes)
        fresh = await self.store.get(poll.id)
        assert fresh is not None
        return fresh

    async def discard(self, poll: PollRecord) -> None:
        if poll.created_by is not None:
            await self.stop_expecting(poll.created_by)
        await self.store.discard(poll.id)

    # --- opening and closing ---------------------------------------------------------------

    async def audience(self, poll: PollRecord) -> list[int]:
        since = self._clock.now() - RECENT
        return await self.roles.recent_audience(poll.consultation_id, poll.session_id, since)

    async def open(self, poll: PollRecord) -> tuple[PollRecord, int]:
        """Send the poll to the session's audience (through the outbox); the number reached."""
        if not poll.texts:
            raise NothingToOpen()
        recipients = await self.audience(poll)
        if not recipients:
            raise NothingToOpen(no_audience=True)
        now = self._clock.now()
        close_at = (
            now + timedelta(minutes=poll.close_after_minutes) if poll.close_after_minutes else None
        )
        rows = [
            Planned(
                kind=POLL,
                key=poll_key(poll.id, user),
                user_id=user,
                due_at=now,
                not_before=now,
                expires_at=now + POLL_LIFETIME,
                consultation_id=poll.consultation_id,
                subject=subject_of(poll.id),
                payload={"poll": poll.id},
            )
            for user in recipients
        ]
        if not await self.store.open(poll.id, recipients, rows, close_at, now):
            raise NotADraft(str(poll.id))
        if poll.created_by is not None:
            self._awaiting.pop(poll.created_by, None)
        fresh = await self.store.get(poll.id)
        assert fresh is not None
        logger.info("Poll %d opened to %d delegates", poll.id, len(recipients))
        self._changed(fresh)
        if fresh.close_at is not None:
            for listener in self.on_open:
                listener(fresh)
        return fresh, len(recipients)

    async def close(self, poll_id: int, *, report_to: int | None = None) -> bool:
        """Close an open poll: every delivered message shows the final results (through the
        outbox); `report_to`, the chair told by the outbox (it closed on its own)."""
        now = self._clock.now()
        poll = await self.store.get(poll_id)
        if poll is None or poll.state != OPEN:
            return False
        rows = [
            # An edit of a message already in the delegate's chat, not a new message: a row
            # addressed by chat, like the helpdesk group's edits.
            Planned(
                kind=POLL_FINAL,
                key=f"{POLL_FINAL}:{poll_id}:{user}",
                user_id=None,
                chat_id=user,
                due_at=now,
                not_before=now,
                expires_at=now + POLL_LIFETIME,
                consultation_id=poll.consultation_id,
                subject=subject_of(poll_id),
                payload={"poll": poll_id, "user": user, "message": message},
            )
            for user, message in await self.store.messages(poll_id)
        ]
        if report_to is not None:
            rows.append(
                Planned(
                    kind=POLL_REPORT,
                    key=f"{POLL_REPORT}:{poll_id}",
                    user_id=report_to,
                    due_at=now,
                    not_before=now,
                    consultation_id=poll.consultation_id,
                    payload={"poll": poll_id},
                )
            )
        closed = await self.store.close(poll_id, rows, now)
        self._opened.pop(poll_id, None)
        if closed:
            logger.info("Poll %d closed", poll_id)
            self._changed(poll)
        return closed

    async def close_due(self, poll_id: int) -> bool:
        """The closing job: close the poll if its time has come (told to its chair)."""
        poll = await self.store.get(poll_id)
        if poll is None or poll.state != OPEN or poll.close_at is None:
            return False
        if poll.close_at > self._clock.now():
            return False
        return await self.close(poll_id, report_to=poll.created_by)

    async def closing(self) -> list[PollRecord]:
        """Open polls that close on their own (their jobs are rebuilt at start)."""
        return await self.store.closing()

    # --- answering -------------------------------------------------------------------------

    async def answer(
        self, poll_id: int, user_id: int, option: int, ticked: bool | None = None
    ) -> tuple[PollRecord, bool, Standing]:
        """One tap: the option chosen (single choice, scale: instead of the previous one, and
        `ticked` None; multiple choice: `ticked` says whether it is ticked now, so that a
        repeated tap changes nothing). Counted once, however often it arrives. Returns the poll,
        whether the tap changed anything, and the delegate's answer now."""
        poll = await self.get(poll_id)
        if poll is None or (ticked is None) == (poll.kind == MULTIPLE):
            raise NotSentTo(str(poll_id))
        if not 0 <= option < poll.option_count:
            raise NotSentTo(NO_SUCH_OPTION)
        chosen = True if ticked is None else ticked
        outcome, answered, options = await self.store.answer(
            poll_id, user_id, option, chosen, self._clock.now()
        )
        poll, changed = await self._answered(poll, outcome)
        return poll, changed, Standing(True, answered, options)

    async def submit(self, poll_id: int, user_id: int) -> tuple[PollRecord, bool]:
        """Multiple choice: "Done"."""
        poll = await self.get(poll_id)
        if poll is None or poll.kind != MULTIPLE:
            raise NotSentTo(str(poll_id))
        return await self._answered(poll, await self.store.submit(poll_id, user_id))

    async def _answered(self, poll: PollRecord, outcome: str) -> tuple[PollRecord, bool]:
        """The poll and whether the answer changed anything (a repeated tap does not)."""
        if outcome in (COUNTED, UNCHANGED):
            if outcome == COUNTED:
                self._changed(poll)
            return poll, outcome == COUNTED
        if outcome == POLL_CLOSED:
            self._opened.pop(poll.id, None)  # closed meanwhile (another way than close())
            fresh = await self.get(poll.id)
            raise PollClosed(str(poll.id)) if fresh and fresh.state == CLOSED else NotSentTo("")
        raise NotSentTo(str(poll.id))

    def _changed(self, poll: PollRecord) -> None:
        for listener in self.on_change:
            listener(poll.consultation_id, poll.session_id)

    async def standing(self, poll_id: int, user_id: int) -> Standing:
        sent, answered, chosen = await self.store.standing(poll_id, user_id)
        return Standing(sent, answered, chosen)

    async def tally(self, poll_id: int) -> Tally:
        return await self.store.tally(poll_id)

    async def for_delivery(self, poll_id: int) -> PollRecord | None:
        """The poll while it is open (a row rendered after it closed is not sent)."""
        poll = await self.get(poll_id)
        return poll if poll is not None and poll.state == OPEN else None

    async def delivered(self, poll_id: int, user_id: int, message_id: int) -> None:
        """The poll's message reached the delegate: it shows the results when the poll closes."""
        await self.store.set_message(poll_id, user_id, message_id)

    async def of_session(self, consultation_id: str, session_id: str) -> list[PollRecord]:
        return await self.store.of_session(consultation_id, session_id, 5)

    async def forget(self, user_id: int) -> None:
        self._awaiting.pop(user_id, None)
        await self.store.forget(user_id)

    # --- exports ---------------------------------------------------------------------------

    async def table(self, consultation_id: str, language: str) -> Table:
        return await poll_table(self.store, self._events(), consultation_id, language)


async def poll_table(
    store: PollStore, events: EventData, consultation_id: str, language: str
) -> Table:
    """Every poll's counts per option, no delegate named: headers in `language`, texts in it
    where written (else the poll's own language)."""
    consultation = events.get(consultation_id)
    zone = consultation.timezone if consultation else None
    rows: list[tuple[Cell, ...]] = []
    with use_language(language):
        kinds = {
            "single": _("Single choice"),
            "multiple": _("Multiple choice"),
            "scale": _("Scale 1–5"),
        }
        header = (
            _("Poll"),
            _("Session"),
            _("Question"),
            _("Kind"),
            _("Option"),
            _("Answers"),
            _("Share of respondents (%)"),
            _("Respondents"),
            _("Sent to"),
            # TRANSLATORS: a column of an export; {zone} is a time zone such as Europe/Zurich.
            _("Opened at ({zone})").format(zone=zone.key if zone else "UTC"),
        )
        title = _("Polls")
    for poll in await store.of_consultation(consultation_id):
        tally = await store.tally(poll.id)
        _lang, text = text_for(poll, language)
        session = consultation.session(poll.session_id) if consultation else None
        session_title = session.title.get(language) if session else poll.session_id
        opened: Cell = poll.opened_at.astimezone(zone) if poll.opened_at and zone else ""
        for index, label in enumerate(option_labels(poll, text)):
            count = tally.counts.get(index, 0)
            share = round(100 * count / tally.respondents, 1) if tally.respondents else 0.0
            rows.append(
                (
                    poll.id,
                    session_title,
                    text.question,
                    kinds.get(poll.kind, poll.kind),
                    label,
                    count,
                    share,
                    tally.respondents,
                    tally.recipients,
                    opened,
                )
            )
    return Table(header, rows, title)
