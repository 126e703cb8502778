"""The consultations' programme and logistics, loaded and validated from YAML files."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rapidfuzz import fuzz, process

from bot.i18n import N_
from bot.services.data_reading import (
    MAX_TITLE,
    SUPPORTED_LANGUAGES,
    Checker,
    DataProblem,
    EventDataError,
    Text,
    listed_entries,
    missing_translations,
    parse_date,
    parse_duration,
    parse_local,
    read_yaml,
)
from bot.services.errors import SessionNotFound
from bot.services.survey_data import Survey, load_survey

SESSION_KINDS = ("plenary", "panel", "workshop", "side-event", "break", "other")
CONSULTATION_KINDS = ("global", "regional")
DEFAULT_REMINDERS = (timedelta(days=7), timedelta(days=1), timedelta(hours=1))
DEFAULT_DIGEST_TIME = time(7, 30)
FILES = ("consultation.yaml", "sessions.yaml", "logistics.yaml", "faq.yaml")

# Limits, with room for real events (FOSDEM imports about 1,000 sessions), against a runaway
# file: the numbers are in docs/data-format.md.
MAX_SESSIONS = 5000  # per consultation
MAX_TOPICS = 50  # logistics topics: each is a button of the /info menu
MAX_FAQ_ENTRIES = 1000
MAX_DESCRIPTION = 10_000  # a session's or the consultation's description (split if need be)
MAX_CAPACITY = 100_000  # seats: of a room, or of a session delegates sign up for
MAX_SPEAKERS = 10_000  # speakers.yaml, per consultation
MAX_BIO = 1000  # a speaker's bio, per language: the card is one message with its sessions
MAX_LINKS = 10  # links on one speaker's card
MAX_LINK = 1000  # characters of one link
MAX_ROOMS = 500  # rooms in rooms.yaml
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # Telegram's limit for a photo (sendPhoto)
# What Telegram shows as a photo, told by a file's first bytes: the kind's name and MIME type.
_IMAGE_KINDS = (
    (b"\xff\xd8\xff", "JPEG", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "PNG", "image/png"),
)
DOCUMENT_KINDS = ("concept-note", "slides", "recording", "report", "other")
MAX_DOCUMENTS = 20  # of a session, or of the consultation: each is a button
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # what a bot may send as a document
MAX_URL = 2000


@dataclass(frozen=True)
class Speaker:
    """A person on the programme. Those of speakers.yaml have an `id` and a card; a session
    may still name one inline (`{name, affiliation}`): no id, no card."""

    name: str
    affiliation: Text | None = None  # the organisation (`organisation` in speakers.yaml)
    id: str | None = None
    role: Text | None = None
    bio: Text | None = None
    photo: Path | None = None  # checked at load: an image of at most 10 MB
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    """A concept note, slides, a recording…: an http(s) address, or a file of the consultation's
    data directory (sent as a Telegram document)."""

    id: str
    title: Text
    kind: str = "other"
    url: str | None = None
    file: Path | None = None


@dataclass(frozen=True)
class Session:
    id: str
    title: Text
    start: datetime
    end: datetime
    description: Text | None = None
    # The room's name in each language: from rooms.yaml when the session names a room there by
    # its id (`room_id`), else the session's own text (a consultation without rooms.yaml).
    room: Text | None = None
    room_id: str | None = None
    track: Text | None = None
    kind: str = "other"
    speakers: tuple[Speaker, ...] = ()
    interpretation: tuple[str, ...] = ()
    # Sign-ups (docs/data-format.md): seats, and whether delegates sign up for one.
    capacity: int | None = None
    signup: bool = False
    documents: tuple[Document, ...] = ()
    # Live sessions: the Telegram user ids of its chairs and moderators (questions, polls).
    chairs: tuple[int, ...] = ()

    def overlaps(self, other: Session) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Picture:
    """An image shipped in the consultation's directory: a room's map or photo."""

    path: Path
    mime_type: str


@dataclass(frozen=True)
class Channel:
    """An interpretation channel: a language, on a numbered channel when the room says so."""

    language: str
    channel: str | None = None


@dataclass(frozen=True)
class Room:
    """A room of the venue (rooms.yaml): what a delegate needs to find it."""

    id: str
    name: Text
    location: Text | None = None  # building and floor
    directions: Text | None = None  # how to get there
    map: Picture | None = None
    accessibility: Text | None = None
    capacity: int | None = None
    interpretation: tuple[Channel, ...] = ()


@dataclass(frozen=True)
class Venue:
    name: Text
    address: Text
    latitude: float
    longitude: float
    directions: Text | None = None
    map_url: str | None = None


@dataclass(frozen=True)
class Topic:
    id: str
    title: Text
    text: Text
    icon: str = ""


@dataclass(frozen=True)
class FaqEntry:
    id: str
    questions: Mapping[str, tuple[str, ...]]
    answer: Text
    keywords: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Consultation:
    id: str
    kind: str
    name: Text
    default_language: str
    languages: tuple[str, ...]
    timezone: ZoneInfo
    start: date
    end: date
    venue: Venue
    description: Text | None = None
    sample: bool = False
    reminders: tuple[timedelta, ...] = DEFAULT_REMINDERS
    digest_time: time = DEFAULT_DIGEST_TIME
    sessions: tuple[Session, ...] = ()
    topics: tuple[Topic, ...] = ()
    faq: tuple[FaqEntry, ...] = ()
    # None: feedback on a session closes at the end of the day after it.
    feedback_window: timedelta | None = None
    # Whether the audience's questions to a panel wait for a chair's approval before others
    # see them.
    questions_need_approval: bool = True
    survey: Survey | None = None
    # Sessions starting before this time of day still belong to the previous day (late nights).
    day_change: timedelta = timedelta(0)
    # The speakers of speakers.yaml (those with a card), in the file's order.
    speakers: tuple[Speaker, ...] = ()
    # From rooms.yaml; empty without it (sessions then name their room in text, no room cards).
    rooms: tuple[Room, ...] = ()
    documents: tuple[Document, ...] = ()
    # Only on the stand-in the other files are checked with when consultation.yaml has
    # problems: its settings that could not be read, and were assumed (see _stand_in).
    assumed: tuple[str, ...] = ()

    def session(self, session_id: str) -> Session | None:
        return self._sessions_by_id.get(session_id)

    def delegate_session(self, session_id: str) -> Session:
        """The session with this id that delegates take part in: no break (SessionNotFound)."""
        found = self.session(session_id)
        if found is None or found.kind == "break":
            raise SessionNotFound(session_id)
        return found

    def speaker(self, speaker_id: str) -> Speaker | None:
        cache: dict[str | None, Speaker] | None = self.__dict__.get("_speakers_by_id")
        if cache is None:
            cache = {s.id: s for s in self.speakers}
            object.__setattr__(self, "_speakers_by_id", cache)
        return cache.get(speaker_id)

    def sessions_of(self, speaker: Speaker) -> list[Session]:
        """The sessions a speaker with a card speaks at, in programme order."""
        if speaker.id is None:
            return []
        return [s for s in self.sessions if any(p.id == speaker.id for p in s.speakers)]

    def room(self, room_id: str | None) -> Room | None:
        """The room of rooms.yaml with this id; None for no id or an unknown one."""
        if room_id is None:
            return None
        cache: dict[str, Room] | None = self.__dict__.get("_rooms_by_id")
        if cache is None:
            cache = {r.id: r for r in self.rooms}
            object.__setattr__(self, "_rooms_by_id", cache)
        return cache.get(room_id)

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def days(self) -> list[date]:
        """Each day of the consultation, first to last."""
        count = (self.end - self.start).days + 1
        return [self.start + timedelta(days=i) for i in range(count)]

    def day_of(self, moment: datetime) -> date:
        """The consultation day a moment belongs to (before `day_change`, the previous day)."""
        return (moment.astimezone(self.timezone) - self.day_change).date()

    def sessions_on(self, day: date) -> list[Session]:
        by_day: dict[date, list[Session]] | None = self.__dict__.get("_by_day")
        if by_day is None:
            by_day = {}
            for s in self.sessions:
                by_day.setdefault(self.day_of(s.start), []).append(s)
            object.__setattr__(self, "_by_day", by_day)
        return list(by_day.get(day, ()))

    def starts_at(self) -> datetime:
        """The first session's start, or 09:00 local on the first day."""
        if self.sessions:
            return self.sessions[0].start
        return datetime.combine(self.start, datetime.min.time(), self.timezone) + timedelta(
            hours=9
        )

    @property
    def _sessions_by_id(self) -> dict[str, Session]:
        cache: dict[str, Session] | None = self.__dict__.get("_by_id")
        if cache is None:
            cache = {s.id: s for s in self.sessions}
            object.__setattr__(self, "_by_id", cache)
        return cache


@dataclass(frozen=True)
class EventData:
    consultations: Mapping[str, Consultation]
    # Files the bot accepts but that are probably not what the organisers mean (empty lists).
    warnings: tuple[DataProblem, ...] = ()

    def get(self, consultation_id: str | None) -> Consultation | None:
        if consultation_id is None:
            return None
        return self.consultations.get(consultation_id)

    def resolve(self, chosen: str | None, default: str | None = None) -> Consultation | None:
        """The delegate's consultation: the chosen one, else the configured default, else the
        only one there is."""
        return self.get(chosen) or self.get(default) or self.only()

    def only(self) -> Consultation | None:
        """The single consultation when there is exactly one."""
        if len(self.consultations) == 1:
            return next(iter(self.consultations.values()))
        return None

    def linked_session(
        self, session_id: str, preferred: Consultation | None
    ) -> tuple[Consultation, Session]:
        """The session a deep link or door QR code names (no break), in `preferred` first
        (SessionNotFound)."""
        candidates = [preferred] if preferred else []
        candidates += [c for c in self.consultations.values() if c is not preferred]
        for consultation in candidates:
            found = consultation.session(session_id)
            if found is not None and found.kind != "break":
                return consultation, found
        raise SessionNotFound(session_id)


@dataclass(frozen=True)
class NowNext:
    now: list[Session]
    next: list[Session]


def now_and_next(
    sessions: Iterable[Session], moment: datetime, *, skip_breaks: bool = False
) -> NowNext:
    """The sessions (in programme order) running at `moment`, and those starting next (with
    `skip_breaks`, the next real sessions: a coffee break is not what "next" asks for)."""
    ordered = list(sessions)
    running = [s for s in ordered if s.start <= moment < s.end]
    upcoming = [s for s in ordered if s.start > moment and not (skip_breaks and s.kind == "break")]
    following = [s for s in upcoming if s.start == upcoming[0].start] if upcoming else []
    return NowNext(running, following)


def _load_consultation(directory: Path, problems: list[DataProblem]) -> Consultation | None:
    path = directory / "consultation.yaml"
    raw = read_yaml(path, problems)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(DataProblem(path, None, "", N_("must be a mapping of fields")))
        return None
    default_language = str(raw.get("default_language", "en"))
    chk = Checker(path, default_language, problems)
    if default_language not in SUPPORTED_LANGUAGES:
        chk.problem(
            chk.line_of(raw, "default_language"),
            "default_language",
            N_("'{lang}' is not supported ({supported})"),
            lang=default_language,
            supported=", ".join(SUPPORTED_LANGUAGES),
        )
        return None
    before = len(problems)
    ident = chk.ident(raw, "consultation", set())
    if ident is not None and ident != directory.name:
        chk.problem(
            chk.line_of(raw, "id"),
            "id",
            N_("id '{id}' must equal the directory name '{directory}'"),
            id=ident,
            directory=directory.name,
        )
    kind = str(raw.get("kind", "regional"))
    if kind not in CONSULTATION_KINDS:
        chk.problem(
            chk.line_of(raw, "kind"),
            "kind",
            N_("kind must be one of {kinds}"),
            kinds=", ".join(CONSULTATION_KINDS),
        )
    name = chk.text(raw, "name", "name", required=True, limit=MAX_TITLE)
    description = chk.text(
        raw, "description", "description", required=False, limit=MAX_DESCRIPTION
    )
    languages = chk.languages(raw, "languages", "languages") or (default_language,)
    zone: ZoneInfo | None = None
    tz_name = raw.get("timezone")
    try:
        zone = ZoneInfo(str(tz_name))
    except (ZoneInfoNotFoundError, ValueError):
        chk.problem(
            chk.line_of(raw, "timezone"),
            "timezone",
            N_("'{value}' is not an IANA time zone such as Europe/Zurich"),
            value=str(tz_name),
        )
    start = parse_date(chk, raw, "start", "start")
    end = parse_date(chk, raw, "end", "end")
    if start and end and end < start:
        chk.problem(chk.line_of(raw, "end"), "end", N_("the consultation ends before it starts"))
    venue = _load_venue(chk, raw)
    feedback_window = _parse_feedback_window(chk, raw)
    need_approval = chk.flag(raw, "questions_need_approval", "questions_need_approval", True)
    day_change = _parse_day_change(chk, raw)
    documents = _parse_documents(chk, raw, "documents", directory, set())
    reminders: list[timedelta] = []
    raw_reminders = raw.get("reminders", None)
    if raw_reminders is None:
        reminders = list(DEFAULT_REMINDERS)
    elif not isinstance(raw_reminders, list):
        chk.problem(
            chk.line_of(raw, "reminders"), "reminders", N_("must be a list such as [7d, 1h]")
        )
    else:
        for item in raw_reminders:
            lead = parse_duration(str(item))
            if lead is None:
                chk.problem(
                    chk.line_of(raw, "reminders"),
                    "reminders",
                    N_("'{value}' is not a duration such as {examples}"),
                    value=str(item),
                    examples="7d, 1h, 30m",
                )
            else:
                reminders.append(lead)
    digest_time = DEFAULT_DIGEST_TIME
    if raw.get("digest_time") is not None:
        try:
            digest_time = time.fromisoformat(str(raw["digest_time"]).strip())
        except ValueError:
            chk.problem(
                chk.line_of(raw, "digest_time"),
                "digest_time",
                N_("'{value}' is not a local time such as \"07:30\""),
                value=str(raw["digest_time"]),
            )
    if len(problems) > before or not (ident and name and zone and start and end and venue):
        return None
    return Consultation(
        id=ident,
        kind=kind,
        name=name,
        description=description,
        default_language=default_language,
        languages=languages,
        timezone=zone,
        start=start,
        end=end,
        venue=venue,
        sample=bool(raw.get("sample", False)),
        reminders=tuple(sorted(set(reminders), reverse=True)),
        digest_time=digest_time,
        feedback_window=feedback_window,
        questions_need_approval=need_approval,
        day_change=day_change,
        documents=documents,
    )


def _stand_in(directory: Path, problems: list[DataProblem]) -> Consultation:
    """What the other files are checked with when consultation.yaml has problems: its settings
    that could be read, the others assumed (named in `assumed`, and said in a note): the time
    zone UTC, days changing at midnight, any language as the default, any dates."""
    path = directory / "consultation.yaml"
    scratch: list[DataProblem] = []  # consultation.yaml's problems are already said
    raw = read_yaml(path, scratch)
    if not isinstance(raw, dict):
        raw = {}  # unreadable: nothing is known, not even the default language
    chk = Checker(path, "en", scratch)
    assumed: list[str] = []
    default_language = str(raw.get("default_language", "en" if raw else ""))
    if default_language not in SUPPORTED_LANGUAGES:
        default_language = ""  # unknown: texts in any language are taken (Checker.text)
        assumed.append("default_language")
    try:
        zone = ZoneInfo(str(raw.get("timezone")))
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
        assumed.append("timezone")
    start = parse_date(chk, raw, "start", "start")
    end = parse_date(chk, raw, "end", "end")
    if start is None or end is None or end < start:
        start, end = date.min, date.max
        assumed.append("dates")
    before = len(scratch)
    day_change = _parse_day_change(chk, raw)
    if len(scratch) > before:
        assumed.append("day_change")
    if assumed:
        problems.append(
            DataProblem(
                path,
                None,
                "",
                N_(
                    "the other files were checked all the same; for what could not be read "
                    "here, the check took the time zone as UTC and days as changing at "
                    "midnight, and accepted any default language and any dates"
                ),
            )
        )
    name = Text({"en": directory.name}, "en")
    return Consultation(
        id=directory.name,
        kind="regional",
        name=name,
        default_language=default_language,
        languages=chk.languages(raw, "languages", "languages") or (default_language or "en",),
        timezone=zone,
        start=start,
        end=end,
        venue=Venue(name, name, 0.0, 0.0),
        day_change=day_change,
        # Its ids are taken by the consultation's documents, which sessions' may not reuse.
        documents=_parse_documents(chk, raw, "documents", directory, set()),
        assumed=tuple(assumed),
    )


def _assumed_for(c: Consultation, start: datetime, written: str) -> tuple[str, ...]:
    """The settings of consultation.yaml that could not be read (the time zone, the day change)
    with which a session starting outside the dates could be inside them."""
    settings = tuple(a for a in c.assumed if a in ("timezone", "day_change"))
    if datetime.fromisoformat(written).tzinfo is None:
        # A local time is on its day whatever the zone: only a time with an offset moves.
        settings = tuple(a for a in settings if a != "timezone")
    if not settings:
        return ()
    moments = [start]
    if "timezone" in settings:  # a zone is from 12 hours behind UTC to 14 ahead
        moments = [start.astimezone(dt_timezone(timedelta(hours=h))) for h in range(-12, 15)]
    changes = [c.day_change]
    if "day_change" in settings:
        changes = [timedelta(0), timedelta(hours=12) - timedelta(minutes=1)]
    if any(c.start <= (m - change).date() <= c.end for m in moments for change in changes):
        return settings
    return ()


def _parse_day_change(chk: Checker, raw: Mapping[str, Any]) -> timedelta:
    value = raw.get("day_change")
    if value is None:
        return timedelta(0)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 12 * 60:
        return timedelta(minutes=value)  # YAML 1.1 reads an unquoted 04:00 as 240 (minutes)
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", str(value).strip())
    if match and int(match.group(1)) < 12 and int(match.group(2)) < 60:
        return timedelta(hours=int(match.group(1)), minutes=int(match.group(2)))
    chk.problem(
        chk.line_of(raw, "day_change"),
        "day_change",
        N_("'{key}' must be a time before noon such as \"04:00\", not {value}"),
        key="day_change",
        value=repr(value),
    )
    return timedelta(0)


def _parse_feedback_window(chk: Checker, raw: Mapping[str, Any]) -> timedelta | None:
    value = raw.get("feedback_window")
    if value is None:
        return None
    window = parse_duration(str(value))
    if window is None:
        chk.problem(
            chk.line_of(raw, "feedback_window"),
            "feedback_window",
            N_("'{value}' is not a duration such as {examples}"),
            value=str(value),
            examples="1d, 12h, 30m",
        )
    return window


def _load_venue(chk: Checker, raw: Mapping[str, Any]) -> Venue | None:
    venue = raw.get("venue")
    if not isinstance(venue, dict):
        chk.problem(
            chk.line_of(raw, "venue"),
            "venue",
            N_("'{key}' is required and must be a mapping"),
            key="venue",
        )
        return None
    name = chk.text(venue, "name", "venue", required=True, limit=MAX_TITLE)
    address = chk.text(venue, "address", "venue", required=True, limit=MAX_TITLE)
    directions = chk.text(venue, "directions", "venue", required=False)
    coords: list[float] = []
    for key, limit in (("latitude", 90.0), ("longitude", 180.0)):
        value = venue.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > limit:
            chk.problem(
                chk.line_of(venue, key),
                "venue",
                N_("'{key}' must be a number from -{limit} to {limit}"),
                key=key,
                limit=limit,
            )
        else:
            coords.append(float(value))
    map_url = venue.get("map_url")
    if map_url is not None and not str(map_url).startswith(("https://", "http://")):
        chk.problem(
            chk.line_of(venue, "map_url"),
            "venue",
            N_("'{key}' must be an http(s) address"),
            key="map_url",
        )
        map_url = None
    if not (name and address and len(coords) == 2):
        return None
    return Venue(
        name=name,
        address=address,
        latitude=coords[0],
        longitude=coords[1],
        directions=directions,
        map_url=str(map_url) if map_url else None,
    )


@dataclass
class _RoomsFile:
    """What rooms.yaml holds, for the sessions that name its rooms."""

    rooms: list[Room]
    ids: set[str]  # every id it declares, its entry valid or not (problems are said once)
    names: dict[str, str]  # each room's name in each language, folded, to its id
    readable: bool  # False: its sessions' rooms cannot be checked (the file's problem is said)


def _load_rooms(
    directory: Path, c: Consultation, problems: list[DataProblem]
) -> _RoomsFile | None:
    """rooms.yaml, or None when the consultation has none."""
    path = directory / "rooms.yaml"
    if not path.exists():
        return None
    chk = Checker(path, c.default_language, problems)
    before_file = len(problems)
    raw = read_yaml(path, problems)
    found = _RoomsFile([], set(), {}, readable=len(problems) == before_file)
    for place, item in listed_entries(chk, raw, "rooms", MAX_ROOMS):
        before = len(problems)
        ident = chk.ident(item, place, found.ids)
        name = chk.text(item, "name", place, required=True, limit=MAX_TITLE)
        location = chk.text(item, "location", place, required=False, limit=MAX_TITLE)
        directions = chk.text(item, "directions", place, required=False)
        accessibility = chk.text(item, "accessibility", place, required=False)
        capacity = _capacity(chk, item, place)
        channels = _channels(chk, item, place)
        picture = _picture(chk, item, place, directory)
        if ident and name:
            for text in name.all():
                found.names.setdefault(text.casefold(), ident)
        if len(problems) > before or not (ident and name):
            continue
        found.rooms.append(
            Room(
                id=ident,
                name=name,
                location=location,
                directions=directions,
                map=picture,
                accessibility=accessibility,
                capacity=capacity,
                interpretation=channels,
            )
        )
    if len(problems) > before_file:
        found.readable = found.readable and bool(found.ids)
    return found


def _capacity(chk: Checker, item: Mapping[str, Any], place: str) -> int | None:
    value = item.get("capacity")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_CAPACITY:
        chk.problem(
            chk.line_of(item, "capacity"),
            place,
            N_("'{key}' must be a whole number of seats from 1 to {limit}, not {value}"),
            key="capacity",
            limit=MAX_CAPACITY,
            value=repr(value),
        )
        return None
    return value


def _channels(chk: Checker, item: Mapping[str, Any], place: str) -> tuple[Channel, ...]:
    """`interpretation`: a list of languages, or each channel's number mapped to its language."""
    value = item.get("interpretation")
    line = chk.line_of(item, "interpretation")
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(Channel(code) for code in chk.languages(item, "interpretation", place))
    if not isinstance(value, dict):
        chk.problem(
            line,
            place,
            N_(
                "'{key}' must be a list of languages such as {languages}, or channels such as "
                "{channels}"
            ),
            key="interpretation",
            languages="[en, fr]",
            channels="{1: en, 2: fr}",
        )
        return ()
    channels: list[Channel] = []
    for channel, code in value.items():
        if code not in SUPPORTED_LANGUAGES:
            chk.problem(
                chk.line_of(value, channel),
                place,
                N_(
                    "channel {channel} of '{key}' has unknown language {value} "
                    "(supported: {supported})"
                ),
                channel=str(channel),
                key="interpretation",
                value=repr(code),
                supported=", ".join(SUPPORTED_LANGUAGES),
            )
        elif len(str(channel)) > 10:
            chk.problem(
                chk.line_of(value, channel),
                place,
                N_("a channel is at most {limit} characters"),
                limit=10,
            )
        else:
            channels.append(Channel(str(code), str(channel)))
    return tuple(channels)


def _picture(chk: Checker, item: Mapping[str, Any], place: str, directory: Path) -> Picture | None:
    """`map`: a JPEG or PNG file in the consultation's directory, small enough for Telegram."""
    if item.get("map") is None:
        return None
    found = _data_file(chk, item, "map", place, directory, limit=MAX_PHOTO_BYTES, images=True)
    if found is None:
        return None
    path, mime_type = found
    return Picture(path, mime_type or "")


def _data_file(
    chk: Checker,
    item: Mapping[str, Any],
    key: str,
    place: str,
    directory: Path,
    *,
    limit: int,
    images: bool = False,
    files: Path | None = None,
) -> tuple[Path, str | None] | None:
    """`item[key]`: a file inside the consultation's directory (looked for in `files`, the
    directory itself unless an import checks its result elsewhere), not empty, of at most `limit`
    bytes; with `images`, a JPEG or PNG (told by its first bytes), whose MIME type is returned."""
    written = str(item[key]).strip()
    line = chk.line_of(item, key)
    relative = PurePosixPath(written.replace("\\", "/"))
    if not written or relative.is_absolute() or ".." in relative.parts or ":" in written:
        chk.problem(
            line,
            place,
            N_(
                "'{key}' must name a file inside {directory}/ (no '..', no absolute path), "
                "not {value}"
            ),
            key=key,
            directory=directory.name,
            value=repr(written),
        )
        return None
    path = (files or directory).joinpath(*relative.parts).absolute()
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError:  # missing, a directory, unreadable
        chk.problem(
            line,
            place,
            N_("'{key}': there is no file {file} in {directory}/"),
            key=key,
            file=written,
            directory=directory.name,
        )
        return None
    if not 0 < size <= limit:
        chk.problem(
            line,
            place,
            N_("'{key}': {file} is {size} MB; it must hold from 1 byte to {limit} MB"),
            key=key,
            file=written,
            size=round(size / 1024 / 1024, 1),
            limit=limit // 1024 // 1024,
        )
        return None
    if not images:
        return path, None
    mime_type = next((mime for magic, _kind, mime in _IMAGE_KINDS if head.startswith(magic)), None)
    if mime_type is None:
        chk.problem(
            line, place, N_("'{key}': {file} is not a JPEG or PNG image"), key=key, file=written
        )
        return None
    return path, mime_type


def _session_room(
    chk: Checker, item: Mapping[str, Any], place: str, rooms: _RoomsFile
) -> tuple[Text | None, str | None]:
    """A session's room named by its id in rooms.yaml: its name, and the id."""
    value = item.get("room")
    if value is None:
        return None, None
    line = chk.line_of(item, "room")
    if isinstance(value, bool) or not isinstance(value, str | int):
        chk.problem(
            line,
            place,
            N_("'{key}' must be the id of a room in rooms.yaml, such as '{example}'"),
            key="room",
            example=rooms.rooms[0].id if rooms.rooms else "main-hall",
        )
        return None, None
    ident = str(value).strip()
    room = next((r for r in rooms.rooms if r.id == ident), None)
    if room is not None:
        return room.name, room.id
    if rooms.readable and ident not in rooms.ids:
        _unknown_room(chk, line, place, ident, rooms)
    return None, None


def _unknown_room(
    chk: Checker, line: int | None, place: str, asked: str, rooms: _RoomsFile
) -> None:
    """Say that a session's room is not in rooms.yaml, and what was perhaps meant: the room of
    a typo or of a room named by its name rather than its id, else the ids there are."""
    named = rooms.names.get(asked.casefold())
    if named is None:
        choices = {ident: ident for ident in rooms.ids}
        choices.update(rooms.names)
        best = process.extractOne(
            asked.casefold(),
            list(choices),
            scorer=fuzz.ratio,
            processor=str.casefold,
            score_cutoff=60,
        )
        named = choices[best[0]] if best else None
    if named is not None:
        chk.problem(
            line,
            place,
            N_("room '{id}' is not in rooms.yaml; did you mean '{nearest}'?"),
            id=asked,
            nearest=named,
        )
        return
    ids = sorted(rooms.ids)
    if not ids:
        chk.problem(
            line, place, N_("room '{id}' is not in rooms.yaml (it lists no rooms)"), id=asked
        )
        return
    shown = ", ".join(ids[:10]) + (", …" if len(ids) > 10 else "")
    chk.problem(
        line,
        place,
        N_("room '{id}' is not in rooms.yaml (its rooms: {rooms})"),
        id=asked,
        rooms=shown,
    )


def _load_sessions(
    directory: Path,
    c: Consultation,
    problems: list[DataProblem],
    rooms: _RoomsFile | None,
    carded: Mapping[str, Speaker],
) -> list[Session]:
    """The sessions; `rooms`: rooms.yaml, whose rooms sessions name by id; `carded`: the
    speakers of speakers.yaml by id, whom sessions name by id."""
    path = directory / "sessions.yaml"
    chk = Checker(path, c.default_language, problems)
    raw = read_yaml(path, problems)
    seen: set[str] = set()
    sessions: list[Session] = []
    document_ids = {d.id for d in c.documents}
    for place, item in listed_entries(chk, raw, "sessions", MAX_SESSIONS):
        before = len(problems)
        ident = chk.ident(item, place, seen)
        title = chk.text(item, "title", place, required=True, limit=MAX_TITLE)
        description = chk.text(item, "description", place, required=False, limit=MAX_DESCRIPTION)
        room_id: str | None = None
        if rooms is None:
            room = chk.text(item, "room", place, required=False, limit=MAX_TITLE)
        else:
            room, room_id = _session_room(chk, item, place, rooms)
        track = chk.text(item, "track", place, required=False, limit=MAX_TITLE)
        start = parse_local(chk, item, "start", place, c.timezone)
        end = parse_local(chk, item, "end", place, c.timezone)
        if start and end:
            if end <= start:
                chk.problem(chk.line_of(item, "end"), place, N_("'end' must be after 'start'"))
            elif "dates" not in c.assumed and not c.start <= c.day_of(start) <= c.end:
                chk.problem(
                    chk.line_of(item, "start"),
                    place,
                    N_("starts on {day}, outside the consultation ({first} to {last})"),
                    day=c.day_of(start),
                    first=c.start,
                    last=c.end,
                    assumed=_assumed_for(c, start, str(item.get("start"))),
                )
        kind = str(item.get("kind", "other"))
        if kind not in SESSION_KINDS:
            chk.problem(
                chk.line_of(item, "kind"),
                place,
                N_("kind must be one of {kinds}"),
                kinds=", ".join(SESSION_KINDS),
            )
        speakers: list[Speaker] = []
        raw_speakers = item.get("speakers") or []
        if not isinstance(raw_speakers, list):
            chk.problem(
                chk.line_of(item, "speakers"), place, N_("'{key}' must be a list"), key="speakers"
            )
            raw_speakers = []
        lines = getattr(raw_speakers, "item_lines", [])
        for number, speaker in enumerate(raw_speakers, 1):
            where = f"{place} speaker #{number}"
            if isinstance(speaker, str | int) and not isinstance(speaker, bool):
                # A speaker of speakers.yaml, named by id.
                line = lines[number - 1] if number <= len(lines) else chk.line_of(item, "speakers")
                found = carded.get(str(speaker).strip())
                if found is None:
                    _unknown_speaker(chk, line, where, str(speaker).strip(), carded)
                else:
                    speakers.append(found)
            elif isinstance(speaker, dict) and str(speaker.get("name", "")).strip():
                affiliation = chk.text(
                    speaker, "affiliation", where, required=False, limit=MAX_TITLE
                )
                name = str(speaker["name"]).strip()
                if chk.fits(name, MAX_TITLE, chk.line_of(speaker, "name"), where, "name"):
                    speakers.append(Speaker(name, affiliation))
            else:
                chk.problem(
                    getattr(speaker, "line", chk.line_of(item, "speakers")),
                    where,
                    N_("a speaker needs a 'name'"),
                )
        interpretation = chk.languages(item, "interpretation", place)
        capacity, signup = _parse_signup(chk, item, place)
        documents = _parse_documents(chk, item, place, directory, document_ids)
        chairs = _parse_chairs(chk, item, place)
        if len(problems) > before or not (ident and title and start and end):
            continue
        sessions.append(
            Session(
                id=ident,
                title=title,
                description=description,
                start=start,
                end=end,
                room=room,
                room_id=room_id,
                track=track,
                kind=kind,
                speakers=tuple(speakers),
                interpretation=interpretation,
                capacity=capacity,
                signup=signup,
                documents=documents,
                chairs=chairs,
            )
        )
    sessions.sort(key=lambda s: (s.start, s.end, s.id))
    return sessions


def _parse_chairs(chk: Checker, item: Mapping[str, Any], place: str) -> tuple[int, ...]:
    """A session's `chairs`: the Telegram user ids of its chairs and moderators."""
    value = item.get("chairs")
    if value is None:
        return ()
    if isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**63 for v in value
    ):
        return tuple(dict.fromkeys(value))
    chk.problem(
        chk.line_of(item, "chairs"),
        place,
        N_("'{key}' must be a list of Telegram user ids (whole numbers), such as [123456789]"),
        key="chairs",
    )
    return ()


def _parse_signup(chk: Checker, item: Mapping[str, Any], place: str) -> tuple[int | None, bool]:
    """A session's `capacity` (a positive number of seats) and `signup` (true: delegates sign
    up for a seat, which needs a capacity)."""
    capacity = _capacity(chk, item, place)
    signup = chk.flag(item, "signup", place, False)
    if signup and item.get("capacity") is None:
        chk.problem(
            chk.line_of(item, "signup"),
            place,
            N_("'signup: true' needs a 'capacity': the number of seats delegates sign up for"),
        )
    return capacity, signup


def _unknown_speaker(
    chk: Checker, line: int | None, where: str, ident: str, carded: Mapping[str, Speaker]
) -> None:
    """Say that a session's speaker id is not in speakers.yaml, and what was perhaps meant."""
    if not carded:
        chk.problem(
            line,
            where,
            N_(
                "no speaker has the id '{id}': there is no speakers.yaml (or it lists nobody); "
                "give the speaker a card there, or name them in the session as '- name: ...'"
            ),
            id=ident,
        )
        return
    nearest = _nearest_speaker(ident, carded)
    if nearest is None:
        chk.problem(line, where, N_("no speaker has the id '{id}' in speakers.yaml"), id=ident)
        return
    chk.problem(
        line,
        where,
        N_("no speaker has the id '{id}' in speakers.yaml; did you mean '{nearest}' ({name})?"),
        id=ident,
        nearest=nearest.id,
        name=nearest.name,
    )


def _folded(text: str) -> str:
    """Lower case, without accents, with words joined by '-': how ids and names compare."""
    text = "".join(
        c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c)
    )
    return "-".join(re.findall(r"\w+", text))


def _nearest_speaker(ident: str, carded: Mapping[str, Speaker]) -> Speaker | None:
    """The speaker whose id or name is nearest `ident` (a typo, or the name written as id)."""
    choices = {key: _folded(key) for key in carded}
    choices.update({f"name:{key}": _folded(s.name) for key, s in carded.items()})
    found = process.extractOne(_folded(ident), choices, scorer=fuzz.ratio, score_cutoff=70)
    if found is None:
        return None
    return carded[found[2].removeprefix("name:")]


def _photo(
    chk: Checker, item: Mapping[str, Any], place: str, directory: Path, files: Path
) -> Path | None:
    """The speaker's photo: a JPEG or PNG file of at most 10 MB inside the consultation's
    directory (looked for in `files`, the directory itself unless an import tries its result
    elsewhere)."""
    if item.get("photo") is None:
        return None
    found = _data_file(
        chk, item, "photo", place, directory, limit=MAX_PHOTO_BYTES, images=True, files=files
    )
    return found[0] if found else None


def _links(chk: Checker, item: Mapping[str, Any], place: str) -> tuple[str, ...]:
    value = item.get("links")
    if value is None:
        return ()
    line = chk.line_of(item, "links")
    if not isinstance(value, list):
        chk.problem(line, place, N_("'{key}' must be a list of web addresses"), key="links")
        return ()
    if not chk.counted(value, MAX_LINKS, line, place, "links"):
        return ()
    lines = getattr(value, "item_lines", [line] * len(value))
    links: list[str] = []
    for number, link in enumerate(value):
        text = str(link).strip() if isinstance(link, str) else ""
        parts = urlsplit(text) if text else None
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.hostname
            or any(c.isspace() for c in text)
        ):
            chk.problem(
                lines[number],
                place,
                N_("link {value} must be a web address starting with https:// or http://"),
                value=repr(link),
            )
        elif chk.fits(text, MAX_LINK, lines[number], place, "links"):
            links.append(text)
    return tuple(links)


def _load_speakers(
    directory: Path, c: Consultation, problems: list[DataProblem], files: Path
) -> list[Speaker]:
    """speakers.yaml, when there is one: the speakers with a card."""
    path = directory / "speakers.yaml"
    if not path.exists():
        return []
    chk = Checker(path, c.default_language, problems)
    raw = read_yaml(path, problems)
    seen: set[str] = set()
    speakers: list[Speaker] = []
    for place, item in listed_entries(chk, raw, "speakers", MAX_SPEAKERS):
        ident = chk.ident(item, place, seen)
        value = item.get("name")
        name = str(value).strip() if isinstance(value, str | int | float) else ""
        if value is None:
            chk.problem(chk.line_of(item, "name"), place, N_("'{key}' is required"), key="name")
        elif not name:
            chk.problem(
                chk.line_of(item, "name"),
                place,
                N_("'name' must be one text (a person's name is the same in every language)"),
            )
        else:
            chk.fits(name, MAX_TITLE, chk.line_of(item, "name"), place, "name")
        organisation = chk.text(item, "organisation", place, required=False, limit=MAX_TITLE)
        role = chk.text(item, "role", place, required=False, limit=MAX_TITLE)
        bio = chk.text(item, "bio", place, required=False, limit=MAX_BIO)
        photo = _photo(chk, item, place, directory, files)
        links = _links(chk, item, place)
        if ident is None or not name:
            continue
        # Kept despite its own problems (which fail the load anyway): the sessions naming it
        # are then not refused too, as if it were an unknown id.
        speakers.append(
            Speaker(
                name=name,
                affiliation=organisation,
                id=ident,
                role=role,
                bio=bio,
                photo=photo,
                links=links,
            )
        )
    return speakers


def _parse_documents(
    chk: Checker, item: Mapping[str, Any], place: str, directory: Path, seen: set[str]
) -> tuple[Document, ...]:
    """The `documents:` of a session or of the consultation; their ids are unique within the
    consultation (`seen`), a `file` must be in `directory` and small enough to send."""
    raw = item.get("documents")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        chk.problem(
            chk.line_of(item, "documents"), place, N_("'{key}' must be a list"), key="documents"
        )
        return ()
    if not chk.counted(raw, MAX_DOCUMENTS, chk.line_of(item, "documents"), place, "documents"):
        return ()
    lines = getattr(raw, "item_lines", [chk.line_of(item, "documents")] * len(raw))
    found: list[Document] = []
    for number, (entry, line) in enumerate(zip(raw, lines, strict=True), 1):
        where = f"document #{number}" if place == "documents" else f"{place} document #{number}"
        if not isinstance(entry, dict):
            chk.problem(
                line, where, N_("a document must be a mapping with id, title and url or file")
            )
            continue
        if "id" in entry:
            where = f"{where} id={entry['id']}"
        before = len(chk.problems)
        ident = chk.ident(entry, where, seen)
        title = chk.text(entry, "title", where, required=True, limit=MAX_TITLE)
        kind = str(entry.get("kind", "other"))
        if kind not in DOCUMENT_KINDS:
            chk.problem(
                chk.line_of(entry, "kind"),
                where,
                N_("kind must be one of {kinds}, not {value}"),
                kinds=", ".join(DOCUMENT_KINDS),
                value=repr(kind),
            )
        url: str | None = None
        file: Path | None = None
        if (entry.get("url") is None) == (entry.get("file") is None):
            chk.problem(line, where, N_("a document needs either a 'url' or a 'file' (not both)"))
        elif entry.get("url") is not None:
            url = _document_url(chk, entry, where)
        else:
            file = _document_file(chk, entry, where, directory)
        if len(chk.problems) == before and ident and title:
            found.append(Document(ident, title, kind, url, file))
    return tuple(found)


def _document_url(chk: Checker, entry: Mapping[str, Any], where: str) -> str | None:
    url = str(entry["url"]).strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_URL:
        chk.problem(
            chk.line_of(entry, "url"),
            where,
            N_(
                "'{key}' must be an http:// or https:// address (at most {limit} characters), "
                "not {value}"
            ),
            key="url",
            limit=MAX_URL,
            value=repr(url[:80]),
        )
        return None
    return url


def _document_file(
    chk: Checker, entry: Mapping[str, Any], where: str, directory: Path
) -> Path | None:
    """A document's `file`: sent as a Telegram document, so at most 50 MB."""
    found = _data_file(chk, entry, "file", where, directory, limit=MAX_DOCUMENT_BYTES)
    return found[0] if found else None


def _load_topics(directory: Path, c: Consultation, problems: list[DataProblem]) -> list[Topic]:
    path = directory / "logistics.yaml"
    chk = Checker(path, c.default_language, problems)
    raw = read_yaml(path, problems)
    seen: set[str] = set()
    topics: list[Topic] = []
    for place, item in listed_entries(chk, raw, "topics", MAX_TOPICS):
        ident = chk.ident(item, place, seen)
        title = chk.text(item, "title", place, required=True, limit=MAX_TITLE)
        text = chk.text(item, "text", place, required=True)
        if ident and title and text:
            topics.append(Topic(ident, title, text, str(item.get("icon") or "").strip()))
    return topics


def _load_faq(directory: Path, c: Consultation, problems: list[DataProblem]) -> list[FaqEntry]:
    path = directory / "faq.yaml"
    chk = Checker(path, c.default_language, problems)
    raw = read_yaml(path, problems)
    seen: set[str] = set()
    entries: list[FaqEntry] = []
    for place, item in listed_entries(chk, raw, None, MAX_FAQ_ENTRIES):
        ident = chk.ident(item, place, seen)
        questions = chk.phrases(item, "questions", place)
        if "questions" not in item:
            chk.problem(
                chk.line_of(item, "questions"), place, N_("'{key}' is required"), key="questions"
            )
        elif c.default_language and c.default_language not in questions:
            chk.problem(
                chk.line_of(item, "questions"),
                place,
                N_("'questions' needs phrasings in the default language '{lang}'"),
                lang=c.default_language,
            )
        answer = chk.text(item, "answer", place, required=True)
        keywords = chk.phrases(item, "keywords", place)
        if ident and answer and questions:
            entries.append(FaqEntry(ident, questions, answer, keywords))
    return entries


def load_consultation(directory: Path, *, files: Path | None = None) -> Consultation:
    """Load and validate one consultation directory; `files`: where the files it names (the
    speakers' photos) are, when not beside it (an import trying its result elsewhere)."""
    problems: list[DataProblem] = []
    consultation = _load_one(directory, problems, files or directory)
    if problems or consultation is None:
        raise EventDataError(problems)
    return consultation


def _load_one(
    directory: Path, problems: list[DataProblem], files: Path | None = None
) -> Consultation | None:
    base = _load_consultation(directory, problems)
    # A problem in consultation.yaml does not hide those of the other files: they are checked
    # all the same, with what could be read of it.
    c = base or _stand_in(directory, problems)
    speakers = _load_speakers(directory, c, problems, files or directory)
    carded = {s.id: s for s in speakers if s.id is not None}
    rooms = _load_rooms(directory, c, problems)
    sessions = _load_sessions(directory, c, problems, rooms, carded)
    topics = _load_topics(directory, c, problems)
    faq = _load_faq(directory, c, problems)
    survey = load_survey(directory, c.default_language, problems)
    if base is None:
        return None
    return Consultation(
        **{
            **{f: getattr(base, f) for f in base.__dataclass_fields__},
            "sessions": tuple(sessions),
            "rooms": tuple(rooms.rooms) if rooms else (),
            "topics": tuple(topics),
            "faq": tuple(faq),
            "survey": survey,
            "speakers": tuple(speakers),
        }
    )


def load_event_data(root: Path) -> EventData:
    """Load every consultation under `root`; raise EventDataError listing all problems."""
    problems: list[DataProblem] = []
    if not root.is_dir():
        raise EventDataError([DataProblem(root, None, "", N_("data directory not found"))])
    consultations: dict[str, Consultation] = {}
    directories = sorted(p for p in root.iterdir() if (p / "consultation.yaml").is_file())
    if not directories:
        problems.append(
            DataProblem(root, None, "", N_("no consultation found (no */consultation.yaml)"))
        )
    warnings: list[DataProblem] = []
    for directory in directories:
        consultation = _load_one(directory, problems)
        if consultation is not None:
            consultations[consultation.id] = consultation
            warnings += _empty_lists(directory, consultation)
            warnings += _speaker_slips(directory, consultation)
            warnings += missing_translations(
                consultation, consultation.languages, consultation.default_language
            )
    if problems:
        raise EventDataError(problems)
    ordered = sorted(consultations.values(), key=lambda c: (c.start, c.id))
    return EventData({c.id: c for c in ordered}, tuple(warnings))


# The files that may hold no entries, and what the bot then does: said by `check` and at start.
_EMPTY = (
    (
        "sessions.yaml",
        "sessions",
        N_(
            "no sessions: /agenda and /now have nothing to show (write them here, or import "
            "them with python -m bot import)"
        ),
    ),
    (
        "logistics.yaml",
        "topics",
        N_(
            "no topics: /info shows only the venue and says no practical information is "
            "published yet"
        ),
    ),
    (
        "faq.yaml",
        "faq",
        N_(
            "no FAQ entries: the bot answers delegates' questions from the logistics topics "
            "and the programme only, and to the others says it is not sure and offers to ask "
            "the organisers"
        ),
    ),
)


def _empty_lists(directory: Path, consultation: Consultation) -> list[DataProblem]:
    return [
        DataProblem(directory / name, None, "", message)
        for name, field_name, message in _EMPTY
        if not getattr(consultation, field_name)
    ]


def _speaker_slips(directory: Path, consultation: Consultation) -> list[DataProblem]:
    """Sessions naming inline (`- name:`) someone speakers.yaml has a card for (they are
    shown without their card), and cards no session names: probably not what is meant."""
    carded = {_folded(s.name): s for s in consultation.speakers}
    found: list[DataProblem] = []
    for session in consultation.sessions:
        for speaker in session.speakers:
            card = carded.get(_folded(speaker.name)) if speaker.id is None else None
            if card is not None:
                found.append(
                    DataProblem(
                        directory / "sessions.yaml",
                        None,
                        f"id={session.id}",
                        N_(
                            "{name} is named inline, so shown without the card speakers.yaml "
                            "has for them: name them by id ('{id}')"
                        ),
                        {"name": speaker.name, "id": card.id},
                    )
                )
    named = {p.id for session in consultation.sessions for p in session.speakers}
    found += [
        DataProblem(
            directory / "speakers.yaml",
            None,
            f"id={speaker.id}",
            N_("speaks at no session: left out of /speakers (asked about, the card says so)"),
        )
        for speaker in consultation.speakers
        if speaker.id not in named
    ]
    return found
