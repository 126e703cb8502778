"""Free-text questions answered from the organisers' text, and a human helpdesk behind them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.clock import Clock
from bot.services import decision
from bot.services.event_data import Consultation, FaqEntry, Topic
from bot.services.matcher import (
    NONE,
    SESSIONS,
    SPEAKER,
    Match,
    Matchers,
    answer_ref,
    normalise,
    words,
)
from bot.services.people import Profile
from bot.services.privacy import Anonymity, ticket_forgotten
from bot.services.sanitise import clean
from bot.services.understanding import Understanding
from bot.storage.helpdesk import GapRecord, HelpdeskStore, QuestionRecord, TicketRecord
from bot.storage.taught import TaughtRecord, TaughtStore
from bot.storage.users import UserStore

MAX_QUESTION = 1000
OPEN_LIST_LIMIT = 30
GAPS_LIMIT = 15


class HelpdeskError(Exception):
    """A helpdesk action that cannot be done; handlers turn it into a reply."""


class NotOrganiser(HelpdeskError):
    pass


class UnknownQuestion(HelpdeskError):
    pass


class UnknownTicket(HelpdeskError):
    pass


class UnknownEntry(HelpdeskError):
    """No FAQ entry or topic of the consultation has this id (`topic:<id>` for a topic)."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref)
        self.ref = ref


class UnknownTaught(HelpdeskError):
    pass


@dataclass(frozen=True)
class Asked:
    """A delegate's question, as stored (None for small talk), and what the matcher found."""

    question_id: int | None
    match: Match


@dataclass(frozen=True)
class Relay:
    """An organiser's reply to pass on to the delegate; `number` 1 is the answer, >1 follow-ups.

    `delegate`: who asked (None: no delegate of the bot has that author any more)."""

    ticket: TicketRecord
    number: int
    text: str
    chat_id: int
    message_id: int
    delegate: int | None


@dataclass(frozen=True)
class Gaps:
    unanswered: list[GapRecord]
    downvoted: list[GapRecord]
    # The entry proposed to teach each unanswered question (by its number): the one its
    # delegate chose among the suggestions, else the likeliest by meaning (with an encoder).
    proposals: dict[int, str]


@dataclass(frozen=True)
class Taught:
    """A delegate's question taught as a phrasing of `entry`; `new` False: it already was."""

    record: TaughtRecord
    entry: FaqEntry | Topic
    new: bool


TaughtPhrasing = tuple[str, str, str]  # (answer ref, language, text), as the matcher takes them


class Helpdesk:
    def __init__(
        self,
        store: HelpdeskStore,
        clock: Clock,
        matchers: Matchers,
        taught: TaughtStore,
        *,
        anonymity: Anonymity,
        users: UserStore,
        understanding: Understanding | None = None,
    ) -> None:
        """`understanding`: the sentence encoder beside the matcher (None: the matcher alone)."""
        self._store = store
        self._clock = clock
        self._matchers = matchers
        self._taught_store = taught
        self._anonymity = anonymity
        self._users = users
        self._understanding = understanding
        # Taught phrasings by consultation, as last read from the store.
        self._taught: dict[str, tuple[TaughtPhrasing, ...]] = {}

    def match(self, consultation: Consultation, text: str) -> Match:
        """The matcher's answer, with the taught phrasings last read (`ask` reads them first)."""
        matcher = self._matchers.for_consultation(
            consultation, self._taught.get(consultation.id, ())
        )
        return matcher.match(text, self._clock.now())

    async def answer(
        self, consultation: Consultation, text: str, language: str | None = None
    ) -> Match:
        """What the delegate gets for `text` (asked in `language`): the matcher's answer weighed
        with the encoder's nearest answers (bot/services/decision.py), with the taught
        phrasings read anew."""
        taught = await self.taught_phrasings(consultation.id)
        match = self.match(consultation, text)
        return await decision.weigh(
            self._understanding, consultation, text, match, taught, language
        )

    async def close(self) -> None:
        if self._understanding is not None:
            await self._understanding.close()

    async def taught_phrasings(self, consultation_id: str) -> tuple[TaughtPhrasing, ...]:
        """Read the consultation's taught phrasings from the store and keep them for `match`.

        Read before each question (one indexed query over a handful of rows): a delegate's
        /forget deletes the phrasings taught from their questions, and must take effect at once.
        """
        records = await self._taught_store.for_consultation(consultation_id)
        found = tuple((r.answer_ref, r.language, r.text) for r in records)
        self._taught[consultation_id] = found
        return found

    async def ask(
        self, user_id: int, consultation: Consultation, language: str, text: str
    ) -> Asked:
        """Answer from the organisers' text and remember the question (small talk is not kept)."""
        text = clean(text).strip()[:MAX_QUESTION]
        match = await self.answer(consultation, text, language)
        if not match.answered and match.kind != NONE:
            return Asked(None, match)
        answer_id = match.answer_id
        if match.kind == SESSIONS:
            answer_id = f"session:{match.sessions[0].id}" if match.sessions else None
        if match.kind == SPEAKER:
            answer_id = f"speaker:{match.speakers[0].id}" if len(match.speakers) == 1 else None
        question_id = await self._store.add_question(
            self._anonymity.author(user_id),
            consultation.id,
            language,
            text,
            answer_id,
            match.kind,
            match.score,
            self._clock.now(),
            key=question_key(text),
        )
        return Asked(question_id, match)

    async def ask_directly(
        self, user_id: int, consultation: Consultation, language: str, text: str
    ) -> int:
        """A question meant for the organisers (/ask_organisers); returns its id."""
        text = clean(text).strip()[:MAX_QUESTION]
        return await self._store.add_question(
            self._anonymity.author(user_id),
            consultation.id,
            language,
            text,
            None,
            "direct",
            0.0,
            self._clock.now(),
            key=question_key(text),
        )

    async def _own_question(self, user_id: int, question_id: int) -> QuestionRecord:
        question = await self._store.question(question_id)
        if question is None or question.author != self._anonymity.author(user_id):
            raise UnknownQuestion(str(question_id))
        return question

    async def vote(self, user_id: int, question_id: int, helpful: bool) -> None:
        await self._own_question(user_id, question_id)
        await self._store.vote(question_id, helpful, self._clock.now())

    async def chose(self, user_id: int, question_id: int, answer_id: str) -> QuestionRecord:
        """The delegate chose one of the entries suggested for their unanswered question."""
        question = await self._own_question(user_id, question_id)
        await self._store.chose(question_id, answer_id)
        return question

    async def question(self, user_id: int, question_id: int) -> QuestionRecord:
        return await self._own_question(user_id, question_id)

    async def open_ticket(
        self, user_id: int, question_id: int, display_name: str | None
    ) -> tuple[TicketRecord, bool]:
        """File the question for the organisers; False when it was already filed. Only a
        ticket under the delegate's name keeps their id."""
        question = await self._own_question(user_id, question_id)
        existed = await self._store.ticket_for_question(question_id)
        if existed is not None:
            return existed, False
        if display_name is not None:
            display_name = clean(display_name, multiline=False).strip() or "?"
        named = user_id if display_name is not None else None
        ticket = await self._store.add_ticket(question, display_name, named, self._clock.now())
        return ticket, True

    async def posted(self, ticket: TicketRecord, chat_id: int, message_id: int) -> bool:
        """Remember the ticket's message in the group. False: its delegate deleted their data
        while it was being posted, and the message is blanked through the outbox instead."""
        now = self._clock.now()
        blank = ticket_forgotten(ticket.id, ticket.consultation_id, chat_id, message_id, now)
        return await self._store.posted(ticket.id, chat_id, message_id, blank, now)

    async def delegate(self, ticket: TicketRecord) -> int | None:
        """Who asked: a named ticket says so; an anonymous one is found again through the key
        among the bot's delegates (off the event loop: one keyed hash per delegate). Only a
        delegate of this process's world: the real bot relays nothing to a console user."""
        if ticket.user_id is not None:
            record = await self._users.get(ticket.user_id)
            if record is not None and record.console != self._users.console:
                return None
            return ticket.user_id
        ids = await self._users.ids()
        return await asyncio.to_thread(self._anonymity.find, ticket.author, ids)

    async def ticket_for_message(self, chat_id: int, message_id: int) -> TicketRecord | None:
        return await self._store.ticket_for_message(chat_id, message_id)

    async def ticket_record(self, ticket_id: int) -> TicketRecord | None:
        """A ticket as stored now (status, who answered when), for the helpdesk group's view."""
        return await self._store.ticket(ticket_id)

    async def ticket(self, organiser: Profile, ticket_id: int) -> TicketRecord:
        _require_organiser(organiser)
        ticket = await self._store.ticket(ticket_id)
        if ticket is None:
            raise UnknownTicket(str(ticket_id))
        return ticket

    async def reply(
        self,
        organiser: Profile,
        ticket: TicketRecord,
        chat_id: int,
        message_id: int,
        text: str,
    ) -> Relay | None:
        """Record an organiser's answer; None when this message was already relayed."""
        _require_organiser(organiser)
        number = await self._store.add_reply(
            ticket.id,
            chat_id,
            message_id,
            organiser.user_id,
            clean(organiser.first_name, multiline=False),
            clean(text),
            self._clock.now(),
        )
        if number is None:
            return None
        return Relay(ticket, number, text, chat_id, message_id, await self.delegate(ticket))

    async def undelivered(self, relay: Relay) -> None:
        """The reply could not reach the delegate: a ticket with no answer delivered reopens."""
        await self._store.undelivered(relay.chat_id, relay.message_id)

    async def open_tickets(self, organiser: Profile) -> tuple[list[TicketRecord], int]:
        """Open tickets, oldest first (at most a screenful), and how many are open in all."""
        _require_organiser(organiser)
        return await self._store.open_tickets(OPEN_LIST_LIMIT), await self._store.count_open()

    async def gaps(self, organiser: Profile, consultation: Consultation) -> Gaps:
        _require_organiser(organiser)
        unanswered = await self._store.unanswered(consultation.id, GAPS_LIMIT)
        proposals: dict[int, str] = {}
        taught = await self.taught_phrasings(consultation.id)
        for gap in unanswered:
            if gap.question_id is None:
                continue
            if gap.answer_id and find_entry(consultation, gap.answer_id) is not None:
                proposals[gap.question_id] = gap.answer_id
                continue
            match = self.match(consultation, gap.question)
            likeliest = await decision.ranked(
                self._understanding, consultation, gap.question, match, taught
            )
            if likeliest:
                proposals[gap.question_id] = answer_ref(likeliest[0])
        return Gaps(
            unanswered, await self._store.downvoted(consultation.id, GAPS_LIMIT), proposals
        )

    async def gap_question(self, organiser: Profile, question_id: int) -> QuestionRecord:
        """A delegate's question, by the number /gaps shows, for an organiser to teach."""
        _require_organiser(organiser)
        question = await self._store.question(question_id)
        if question is None:
            raise UnknownQuestion(str(question_id))
        return question

    async def teach(
        self, organiser: Profile, consultation: Consultation, question: QuestionRecord, ref: str
    ) -> Taught:
        """Store the delegate's question as a phrasing of the entry `ref` (a FAQ id or
        `topic:<id>`): from now on the matcher answers it with that entry."""
        _require_organiser(organiser)
        if question.consultation_id != consultation.id:
            raise UnknownQuestion(str(question.id))
        entry = find_entry(consultation, ref)
        if entry is None:
            raise UnknownEntry(ref)
        record, new = await self._taught_store.add(
            consultation.id,
            ref,
            question.language,
            question.question,
            question_key(question.question),
            question.id,
            organiser.user_id,
            self._clock.now(),
        )
        await self.taught_phrasings(consultation.id)
        return Taught(record, entry, new)

    async def untaught(self, organiser: Profile, taught_id: int) -> TaughtRecord:
        """Undo a taught phrasing: the question is a gap again."""
        _require_organiser(organiser)
        record = await self._taught_store.get(taught_id)
        if record is None or not await self._taught_store.remove(taught_id):
            raise UnknownTaught(str(taught_id))
        await self.taught_phrasings(record.consultation_id)
        return record


def find_entry(consultation: Consultation, ref: str) -> FaqEntry | Topic | None:
    """The FAQ entry (by id) or the logistics topic (`topic:<id>`) an answer ref names."""
    kind, _sep, entry_id = ref.partition(":")
    if kind == "topic" and entry_id:
        return consultation.topic(entry_id)
    return next((e for e in consultation.faq if e.id == ref), None)


def question_key(text: str) -> str:
    """The form questions are grouped by: "Où est le déjeuner ?" and "OU EST LE DEJEUNER" agree."""
    return " ".join(words(text)) or normalise(text).strip()


def _require_organiser(profile: Profile) -> None:
    if not profile.is_organiser:
        raise NotOrganiser(str(profile.user_id))
