"""What the bot sends on its own about the programme: reminders before each starred session,
the countdown before each consultation, the morning digest, and agenda-change messages.

Planning is deterministic and idempotent: the wanted rows are computed from the data, the
bookmarks and the settings, and written to the outbox under stable keys; rows no longer wanted
are cancelled. Run it as often as you like (at start, after a reload, a star, a setting).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.services.changes import SessionChange
from bot.services.event_data import Consultation, EventData
from bot.services.feedback import SESSION_PROMPT, SURVEY_PROMPT, session_prompt, survey_prompt
from bot.services.programme import Programme, notable
from bot.storage.change_log import Notices
from bot.storage.outbox import OutboxStore, Planned
from bot.storage.settings import SettingsStore

REMINDER = "reminder"
COUNTDOWN = "countdown"
DIGEST = "digest"
CHANGE = "change"
PLANNED_KINDS = (REMINDER, COUNTDOWN, DIGEST, SESSION_PROMPT, SURVEY_PROMPT)

LEAD_CHOICES = (0, 5, 10, 15, 30)  # minutes; 0 is off
DEFAULT_LEAD = 10
# How much earlier than due a message may leave when many are due together: a reminder that
# says "starts at 11:00, in 12 minutes" is as good as one 10 minutes before, a late one is not.
REMINDER_EARLY_MAX = timedelta(minutes=3)
COUNTDOWN_EARLY = timedelta(minutes=10)
DIGEST_EARLY = timedelta(minutes=5)
DIGEST_VALID = timedelta(hours=3)
CHANGE_VALID = timedelta(days=1)


@dataclass(frozen=True)
class ReminderSettings:
    lead: int  # minutes; 0 is off
    digest: bool

    @property
    def reminders_on(self) -> bool:
        return self.lead > 0


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M")


def reminder_key(consultation_id: str, session_id: str, start: datetime, user_id: int) -> str:
    return f"{REMINDER}:{consultation_id}:{session_id}:{_stamp(start)}:{user_id}"


class Reminders:
    """Plans reminders, countdowns and digests; keeps each delegate's settings."""

    def __init__(
        self,
        outbox: OutboxStore,
        settings: SettingsStore,
        programme: Programme,
        clock: Clock,
        *,
        default_consultation: str | None = None,
        only: int | None = None,
    ) -> None:
        """`only`: the console chat's delegate, the only one it plans for (its pretend clock
        and its data must not re-time nor cancel the real delegates' rows)."""
        self._outbox = outbox
        self._settings = settings
        self._programme = programme
        self._clock = clock
        self._default_consultation = default_consultation
        self._only = only

    async def settings(self, user_id: int) -> ReminderSettings:
        stored = await self._settings.get(user_id)
        lead = DEFAULT_LEAD if stored.reminder_lead is None else stored.reminder_lead
        return ReminderSettings(lead, stored.digest)

    async def set_lead(self, user_id: int, minutes: int) -> ReminderSettings:
        if minutes not in LEAD_CHOICES:
            raise ValueError(f"lead {minutes} is not one of {LEAD_CHOICES}")
        await self._settings.set_reminder_lead(user_id, minutes, self._clock.now())
        await self.plan(user_id)
        return await self.settings(user_id)

    async def set_digest(self, user_id: int, enabled: bool) -> ReminderSettings:
        await self._settings.set_digest(user_id, enabled, self._clock.now())
        await self.plan(user_id)
        return await self.settings(user_id)

    # -- planning ----------------------------------------------------------------------------

    def _consultation_of(self, events: EventData, chosen: str | None) -> Consultation | None:
        return events.resolve(chosen, self._default_consultation)

    async def wanted(self, user_id: int | None = None) -> list[Planned]:
        """Every row the data, bookmarks and settings call for (for one delegate when given)."""
        events = self._programme.current
        rows: list[Planned] = []
        for mark in await self._settings.bookmarked(user_id):
            lead = DEFAULT_LEAD if mark.reminder_lead is None else mark.reminder_lead
            consultation = events.get(mark.consultation_id)
            session = consultation.session(mark.session_id) if consultation else None
            if lead <= 0 or consultation is None or session is None:
                continue
            due = session.start - timedelta(minutes=lead)
            early = min(REMINDER_EARLY_MAX, timedelta(minutes=lead) / 2)
            rows.append(
                Planned(
                    kind=REMINDER,
                    key=reminder_key(consultation.id, session.id, session.start, mark.user_id),
                    user_id=mark.user_id,
                    due_at=due,
                    not_before=due - early,
                    expires_at=session.start,
                    consultation_id=consultation.id,
                    subject=f"session:{consultation.id}:{session.id}",
                    payload={"session": session.id, "lead": lead},
                )
            )
        # "How was it?" after each session a delegate starred or opened while it was on.
        for seen in await self._settings.attending(user_id):
            consultation = events.get(seen.consultation_id)
            session = consultation.session(seen.session_id) if consultation else None
            if consultation is None or session is None:
                continue
            prompt = session_prompt(consultation, session, seen.user_id)
            if prompt is not None:
                rows.append(prompt)
        for person in await self._settings.registered(user_id):
            consultation = self._consultation_of(events, person.consultation_id)
            if consultation is None:
                continue
            rows.extend(self._countdown(consultation, person.user_id))
            if person.digest:
                rows.extend(self._digests(consultation, person.user_id))
            survey = survey_prompt(consultation, person.user_id)
            if survey is not None:
                rows.append(survey)
        return rows

    def _countdown(self, consultation: Consultation, user_id: int) -> list[Planned]:
        start = consultation.starts_at()
        leads = sorted(consultation.reminders, reverse=True)
        rows = []
        for index, lead in enumerate(leads):
            due = start - lead
            # Superseded by the next countdown: after a long outage only the latest one goes.
            expires = start - leads[index + 1] if index + 1 < len(leads) else start
            rows.append(
                Planned(
                    kind=COUNTDOWN,
                    key=f"{COUNTDOWN}:{consultation.id}:{int(lead.total_seconds())}:{user_id}",
                    user_id=user_id,
                    due_at=due,
                    not_before=due - min(COUNTDOWN_EARLY, lead / 6),
                    expires_at=expires,
                    consultation_id=consultation.id,
                    subject=f"countdown:{consultation.id}",
                    payload={"lead": int(lead.total_seconds())},
                )
            )
        return rows

    def _digests(self, consultation: Consultation, user_id: int) -> list[Planned]:
        rows = []
        for day in consultation.days():
            due = datetime.combine(day, consultation.digest_time, consultation.timezone)
            rows.append(
                Planned(
                    kind=DIGEST,
                    key=f"{DIGEST}:{consultation.id}:{day.isoformat()}:{user_id}",
                    user_id=user_id,
                    due_at=due,
                    not_before=due - DIGEST_EARLY,
                    expires_at=due + DIGEST_VALID,
                    consultation_id=consultation.id,
                    subject=f"digest:{consultation.id}:{day.isoformat()}",
                    payload={"day": day.isoformat()},
                )
            )
        return rows

    async def plan(self, user_id: int | None = None) -> None:
        """Bring the outbox in line with the data, bookmarks and settings (all, or one user).

        A row not created yet whose due time has passed is not created (a reminder for a
        session starred a minute before it starts is noise); one already pending is re-timed.
        """
        if self._only is not None:
            if user_id not in (None, self._only):
                return
            user_id = self._only
        now = self._clock.now()
        wanted = await self.wanted(user_id)
        future = [r for r in wanted if r.due_at >= now]
        past = [r for r in wanted if r.due_at < now]
        await self._outbox.plan(future, now)
        await self._outbox.retime_pending(past, now)
        keep = {r.key for r in wanted}
        for kind in PLANNED_KINDS:
            pending = await self._outbox.pending_keys(kind, user_id)
            stale = [ident for key, ident in pending.items() if key not in keep]
            if stale:
                await self._outbox.cancel(stale, "no longer planned", now)

    # -- agenda changes ----------------------------------------------------------------------

    async def change_notices(
        self, consultation: Consultation, changes: tuple[SessionChange, ...]
    ) -> Notices:
        """One message per delegate who starred a changed session (reminders follow the data),
        as a function of the batch id: the change log writes them with the batch."""
        now = self._clock.now()
        relevant = notable(changes)
        holders = await self._settings.holders(consultation.id)
        affected: dict[int, list[str]] = {}
        for change in relevant:
            for user in sorted(holders.get(change.session_id, ())):
                affected.setdefault(user, []).append(change.session_id)

        def rows(batch_id: int) -> list[Planned]:
            return [
                Planned(
                    kind=CHANGE,
                    key=f"{CHANGE}:{batch_id}:{user}",
                    user_id=user,
                    due_at=now,
                    not_before=now,
                    expires_at=now + CHANGE_VALID,
                    consultation_id=consultation.id,
                    subject=f"{CHANGE}:{batch_id}",
                    payload={"batch": batch_id, "sessions": sessions},
                )
                for user, sessions in sorted(affected.items())
            ]

        return rows
