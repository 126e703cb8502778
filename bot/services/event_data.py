"""The consultations' programme and logistics, loaded and validated from YAML files."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.services.data_reading import (
    MAX_TITLE,
    SUPPORTED_LANGUAGES,
    Checker,
    DataProblem,
    EventDataError,
    Text,
    listed_entries,
    parse_date,
    parse_duration,
    parse_local,
    read_yaml,
)
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
MAX_CAPACITY = 100_000  # seats of a session delegates sign up for
DOCUMENT_KINDS = ("concept-note", "slides", "recording", "report", "other")
MAX_DOCUMENTS = 20  # of a session, or of the consultation: each is a button
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # what a bot may send as a document
MAX_URL = 2000


@dataclass(frozen=True)
class Speaker:
    name: str
    affiliation: Text | None = None


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
    room: Text | None = None
    track: Text | None = None
    kind: str = "other"
    speakers: tuple[Speaker, ...] = ()
    interpretation: tuple[str, ...] = ()
    # Sign-ups (docs/data-format.md): seats, and whether delegates sign up for one.
    capacity: int | None = None
    signup: bool = False
    documents: tuple[Document, ...] = ()

    def overlaps(self, other: Session) -> bool:
        return self.start < other.end and other.start < self.end


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
    survey: Survey | None = None
    # Sessions starting before this time of day still belong to the previous day (late nights).
    day_change: timedelta = timedelta(0)
    documents: tuple[Document, ...] = ()

    def session(self, session_id: str) -> Session | None:
        return self._sessions_by_id.get(session_id)

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


@dataclass(frozen=True)
class NowNext:
    now: list[Session]
    next: list[Session]


def now_and_next(sessions: Iterable[Session], moment: datetime) -> NowNext:
    """The sessions (in programme order) running at `moment`, and those starting next."""
    ordered = list(sessions)
    running = [s for s in ordered if s.start <= moment < s.end]
    upcoming = [s for s in ordered if s.start > moment]
    following = [s for s in upcoming if s.start == upcoming[0].start] if upcoming else []
    return NowNext(running, following)


def _load_consultation(directory: Path, problems: list[DataProblem]) -> Consultation | None:
    path = directory / "consultation.yaml"
    raw = read_yaml(path, problems)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(DataProblem(path, None, "", "must be a mapping of fields"))
        return None
    default_language = str(raw.get("default_language", "en"))
    chk = Checker(path, default_language, problems)
    if default_language not in SUPPORTED_LANGUAGES:
        chk.problem(
            chk.line_of(raw, "default_language"),
            "default_language",
            f"'{default_language}' is not supported ({', '.join(SUPPORTED_LANGUAGES)})",
        )
        return None
    before = len(problems)
    ident = chk.ident(raw, "consultation", set())
    if ident is not None and ident != directory.name:
        chk.problem(
            chk.line_of(raw, "id"),
            "id",
            f"id '{ident}' must equal the directory name '{directory.name}'",
        )
    kind = str(raw.get("kind", "regional"))
    if kind not in CONSULTATION_KINDS:
        chk.problem(chk.line_of(raw, "kind"), "kind", f"kind must be one of {CONSULTATION_KINDS}")
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
            f"'{tz_name}' is not an IANA time zone such as Europe/Zurich",
        )
    start = parse_date(chk, raw, "start", "start")
    end = parse_date(chk, raw, "end", "end")
    if start and end and end < start:
        chk.problem(chk.line_of(raw, "end"), "end", "the consultation ends before it starts")
    venue = _load_venue(chk, raw)
    feedback_window = _parse_feedback_window(chk, raw)
    day_change = _parse_day_change(chk, raw)
    documents = _parse_documents(chk, raw, "documents", directory, set())
    reminders: list[timedelta] = []
    raw_reminders = raw.get("reminders", None)
    if raw_reminders is None:
        reminders = list(DEFAULT_REMINDERS)
    elif not isinstance(raw_reminders, list):
        chk.problem(chk.line_of(raw, "reminders"), "reminders", "must be a list such as [7d, 1h]")
    else:
        for item in raw_reminders:
            lead = parse_duration(str(item))
            if lead is None:
                chk.problem(
                    chk.line_of(raw, "reminders"),
                    "reminders",
                    f"'{item}' is not a duration such as 7d, 1h or 30m",
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
                f"'{raw['digest_time']}' is not a local time such as \"07:30\"",
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
        day_change=day_change,
        documents=documents,
    )


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
        f"'day_change' must be a time before noon such as \"04:00\", not {value!r}",
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
            f"'{value}' is not a duration such as 1d, 12h or 30m",
        )
    return window


def _load_venue(chk: Checker, raw: Mapping[str, Any]) -> Venue | None:
    venue = raw.get("venue")
    if not isinstance(venue, dict):
        chk.problem(
            chk.line_of(raw, "venue"), "venue", "'venue' is required and must be a mapping"
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
                f"'{key}' must be a number from -{limit} to {limit}",
            )
        else:
            coords.append(float(value))
    map_url = venue.get("map_url")
    if map_url is not None and not str(map_url).startswith(("https://", "http://")):
        chk.problem(chk.line_of(venue, "map_url"), "venue", "'map_url' must be an http(s) address")
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


def _load_sessions(directory: Path, c: Consultation, problems: list[DataProblem]) -> list[Session]:
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
        room = chk.text(item, "room", place, required=False, limit=MAX_TITLE)
        track = chk.text(item, "track", place, required=False, limit=MAX_TITLE)
        start = parse_local(chk, item, "start", place, c.timezone)
        end = parse_local(chk, item, "end", place, c.timezone)
        if start and end:
            if end <= start:
                chk.problem(chk.line_of(item, "end"), place, "'end' must be after 'start'")
            elif not c.start <= c.day_of(start) <= c.end:
                chk.problem(
                    chk.line_of(item, "start"),
                    place,
                    f"starts on {c.day_of(start)}, outside the consultation "
                    f"({c.start} to {c.end})",
                )
        kind = str(item.get("kind", "other"))
        if kind not in SESSION_KINDS:
            chk.problem(
                chk.line_of(item, "kind"), place, f"kind must be one of {', '.join(SESSION_KINDS)}"
            )
        speakers: list[Speaker] = []
        raw_speakers = item.get("speakers") or []
        if not isinstance(raw_speakers, list):
            chk.problem(chk.line_of(item, "speakers"), place, "'speakers' must be a list")
            raw_speakers = []
        for number, speaker in enumerate(raw_speakers, 1):
            where = f"{place} speaker #{number}"
            if isinstance(speaker, str):
                line = chk.line_of(item, "speakers")
                if chk.fits(speaker.strip(), MAX_TITLE, line, where, "name"):
                    speakers.append(Speaker(speaker.strip()))
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
                    "a speaker needs a 'name'",
                )
        interpretation = chk.languages(item, "interpretation", place)
        capacity, signup = _parse_signup(chk, item, place)
        documents = _parse_documents(chk, item, place, directory, document_ids)
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
                track=track,
                kind=kind,
                speakers=tuple(speakers),
                interpretation=interpretation,
                capacity=capacity,
                signup=signup,
                documents=documents,
            )
        )
    sessions.sort(key=lambda s: (s.start, s.end, s.id))
    return sessions


def _parse_signup(chk: Checker, item: Mapping[str, Any], place: str) -> tuple[int | None, bool]:
    """A session's `capacity` (a positive number of seats) and `signup` (true: delegates sign
    up for a seat, which needs a capacity)."""
    capacity = item.get("capacity")
    if capacity is not None and (
        isinstance(capacity, bool)
        or not isinstance(capacity, int)
        or not 0 < capacity <= MAX_CAPACITY
    ):
        chk.problem(
            chk.line_of(item, "capacity"),
            place,
            f"'capacity' must be a whole number of seats from 1 to {MAX_CAPACITY:,}, "
            f"not {capacity!r}",
        )
        capacity = None
    signup = item.get("signup", False)
    if not isinstance(signup, bool):
        chk.problem(
            chk.line_of(item, "signup"), place, f"'signup' must be true or false, not {signup!r}"
        )
        return capacity, False
    if signup and item.get("capacity") is None:
        chk.problem(
            chk.line_of(item, "signup"),
            place,
            "'signup: true' needs a 'capacity': the number of seats delegates sign up for",
        )
    return capacity, signup


def _parse_documents(
    chk: Checker, item: Mapping[str, Any], place: str, directory: Path, seen: set[str]
) -> tuple[Document, ...]:
    """The `documents:` of a session or of the consultation; their ids are unique within the
    consultation (`seen`), a `file` must be in `directory` and small enough to send."""
    raw = item.get("documents")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        chk.problem(chk.line_of(item, "documents"), place, "'documents' must be a list")
        return ()
    if len(raw) > MAX_DOCUMENTS:
        chk.problem(
            chk.line_of(item, "documents"),
            place,
            f"{len(raw):,} documents; at most {MAX_DOCUMENTS} allowed",
        )
        return ()
    lines = getattr(raw, "item_lines", [chk.line_of(item, "documents")] * len(raw))
    found: list[Document] = []
    for number, (entry, line) in enumerate(zip(raw, lines, strict=True), 1):
        where = f"document #{number}" if place == "documents" else f"{place} document #{number}"
        if not isinstance(entry, dict):
            chk.problem(line, where, "a document must be a mapping with id, title and url or file")
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
                f"kind must be one of {', '.join(DOCUMENT_KINDS)}, not {kind!r}",
            )
        url: str | None = None
        file: Path | None = None
        if (entry.get("url") is None) == (entry.get("file") is None):
            chk.problem(line, where, "a document needs either a 'url' or a 'file' (not both)")
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
            f"'url' must be an http:// or https:// address (at most {MAX_URL:,} characters), "
            f"not {url[:80]!r}",
        )
        return None
    return url


def _document_file(
    chk: Checker, entry: Mapping[str, Any], where: str, directory: Path
) -> Path | None:
    name = str(entry["file"]).strip()
    line = chk.line_of(entry, "file")
    relative = Path(name)
    if not name or relative.is_absolute() or ".." in relative.parts:
        chk.problem(
            line, where, f"'file' must name a file inside {directory} (no '..'), not {name!r}"
        )
        return None
    path = (directory / relative).absolute()
    if not path.is_file():
        chk.problem(line, where, f"'file': there is no file {name} in {directory}")
        return None
    size = path.stat().st_size
    if not 0 < size <= MAX_DOCUMENT_BYTES:
        chk.problem(
            line,
            where,
            f"'file' {name} is {size:,} bytes; it must hold from 1 byte to 50 MB "
            f"({MAX_DOCUMENT_BYTES:,} bytes), what Telegram lets a bot send",
        )
        return None
    return path


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
            chk.problem(chk.line_of(item, "questions"), place, "'questions' is required")
        elif c.default_language not in questions:
            chk.problem(
                chk.line_of(item, "questions"),
                place,
                f"'questions' needs phrasings in the default language '{c.default_language}'",
            )
        answer = chk.text(item, "answer", place, required=True)
        keywords = chk.phrases(item, "keywords", place)
        if ident and answer and questions:
            entries.append(FaqEntry(ident, questions, answer, keywords))
    return entries


def load_consultation(directory: Path) -> Consultation:
    """Load and validate one consultation directory."""
    problems: list[DataProblem] = []
    consultation = _load_one(directory, problems)
    if problems or consultation is None:
        raise EventDataError(problems)
    return consultation


def _load_one(directory: Path, problems: list[DataProblem]) -> Consultation | None:
    base = _load_consultation(directory, problems)
    if base is None:
        return None
    sessions = _load_sessions(directory, base, problems)
    topics = _load_topics(directory, base, problems)
    faq = _load_faq(directory, base, problems)
    survey = load_survey(directory, base.default_language, problems)
    return Consultation(
        **{
            **{f: getattr(base, f) for f in base.__dataclass_fields__},
            "sessions": tuple(sessions),
            "topics": tuple(topics),
            "faq": tuple(faq),
            "survey": survey,
        }
    )


def load_event_data(root: Path) -> EventData:
    """Load every consultation under `root`; raise EventDataError listing all problems."""
    problems: list[DataProblem] = []
    if not root.is_dir():
        raise EventDataError([DataProblem(root, None, "", "data directory not found")])
    consultations: dict[str, Consultation] = {}
    directories = sorted(p for p in root.iterdir() if (p / "consultation.yaml").is_file())
    if not directories:
        problems.append(
            DataProblem(root, None, "", "no consultation found (no */consultation.yaml)")
        )
    warnings: list[DataProblem] = []
    for directory in directories:
        consultation = _load_one(directory, problems)
        if consultation is not None:
            consultations[consultation.id] = consultation
            warnings += _empty_lists(directory, consultation)
    if problems:
        raise EventDataError(problems)
    ordered = sorted(consultations.values(), key=lambda c: (c.start, c.id))
    return EventData({c.id: c for c in ordered}, tuple(warnings))


# The files that may hold no entries, and what the bot then does: said by `check` and at start.
_EMPTY = (
    (
        "sessions.yaml",
        "sessions",
        "no sessions: /agenda and /now have nothing to show (write them here, or import them "
        "with python -m bot import)",
    ),
    (
        "logistics.yaml",
        "topics",
        "no topics: /info shows only the venue and says no practical information is published yet",
    ),
    (
        "faq.yaml",
        "faq",
        "no FAQ entries: the bot answers delegates' questions from the logistics topics and "
        "the programme only, and to the others says it is not sure and offers to ask the "
        "organisers",
    ),
)


def _empty_lists(directory: Path, consultation: Consultation) -> list[DataProblem]:
    return [
        DataProblem(directory / name, None, "", message)
        for name, field_name, message in _EMPTY
        if not getattr(consultation, field_name)
    ]
