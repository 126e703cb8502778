"""Read a programme from the files organisers already have: frab/pretalx exports, spreadsheets.

Each reader turns one file into a `Programme`: sessions in the consultation's time zone, each with
the conference day it belongs to and a session id derived from the source's own stable identifier,
so that re-importing an edited export keeps personal agendas and reminders attached.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.services.data_reading import MAX_TITLE, SUPPORTED_LANGUAGES, Text
from bot.services.event_data import MAX_BIO, MAX_LINK, MAX_LINKS, Session, Speaker

FORMATS = ("frab-json", "frab-xml", "csv", "xlsx")
FORMAT_NAMES = {
    "frab-json": "frab/pretalx schedule JSON",
    "frab-json2": "frab/pretalx schedule JSON, c3voc schema 2",
    "frab-xml": "frab/pretalx schedule XML",
    "csv": "CSV spreadsheet",
    "xlsx": "Excel spreadsheet",
}
MAX_ID = 48


@dataclass(frozen=True)
class SourceProblem:
    """One problem in an imported file, with the place in it (line/column, JSON path, row)."""

    file: Path
    place: str
    message: str

    def __str__(self) -> str:
        place = f": {self.place}" if self.place else ""
        return f"{self.file}{place}: {self.message}"


class ImportFailed(Exception):
    """The file cannot be imported; `problems` says where and why. Nothing was changed."""

    def __init__(self, problems: list[SourceProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class ImportOptions:
    """What the readers need to know about the target consultation."""

    zone: ZoneInfo
    language: str = "en"


@dataclass(frozen=True)
class ImportedSession:
    session: Session
    day: date  # the conference day it belongs to (a late-night talk: the evening before)
    place: str  # where in the file it comes from, for messages


@dataclass(frozen=True)
class SourceRoom:
    """A room as the export describes it besides its name (pretalx lists its rooms so)."""

    name: str
    capacity: int | None = None
    description: str | None = None  # pretalx: "a description, for example directions"


@dataclass(frozen=True)
class Programme:
    source: Path
    format: str
    sessions: tuple[ImportedSession, ...]
    title: str | None = None
    time_zone_name: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)
    # How the file gave its times: with a UTC offset ("…T09:00:00+01:00"), or without one, read
    # as `read_in` time (the zone it names when known, else the consultation's).
    with_offset: int = 0
    without_offset: int = 0
    read_in: str | None = None
    # The export's persons, each once, as speakers with a card (speakers.yaml); its sessions
    # name them by id.
    speakers: tuple[Speaker, ...] = ()
    source_rooms: tuple[SourceRoom, ...] = ()

    @property
    def first_day(self) -> date | None:
        return min((s.day for s in self.sessions), default=None)

    @property
    def last_day(self) -> date | None:
        return max((s.day for s in self.sessions), default=None)

    def rooms(self) -> list[str]:
        rooms = {
            s.session.room.get(s.session.room.default) for s in self.sessions if s.session.room
        }
        return sorted(rooms)

    def day_change(self, zone: ZoneInfo) -> timedelta:
        """The smallest day change that keeps each late-night session on its conference day."""
        needed = timedelta(0)
        for item in self.sessions:
            local = item.session.start.astimezone(zone)
            if local.date() > item.day:
                after_midnight = timedelta(hours=local.hour, minutes=local.minute)
                needed = max(needed, after_midnight + timedelta(minutes=1))
        if not needed:
            return needed
        # Round up to the hour: "04:00" reads better than "00:16" and covers the whole night.
        hours = -(-needed // timedelta(hours=1))
        return timedelta(hours=min(hours, 11))


@dataclass
class _Person:
    name: str
    ident: str
    bio: str = ""
    organisation: str = ""
    links: tuple[str, ...] = ()


def web_links(candidates: Iterable[str]) -> tuple[str, ...]:
    """The http(s) addresses among `candidates`, each once, as many as a speaker's card holds
    (speakers.yaml refuses any other)."""
    links: list[str] = []
    for text in (c.strip() for c in candidates):
        try:
            parts = urlsplit(text)
        except ValueError:  # "http://[" and the like
            continue
        if (
            parts.scheme in ("http", "https")
            and parts.hostname
            and len(text) <= MAX_LINK
            and not any(c.isspace() for c in text)
            and text not in links
        ):
            links.append(text)
    return tuple(links[:MAX_LINKS])


class People:
    """The persons of an export, each once however many sessions they speak at, with a speaker
    id made from their name ("Ingrid Solberg" is `ingrid-solberg`, as organisers write it)."""

    def __init__(self, language: str) -> None:
        self._language = language
        self._by_key: dict[str, _Person] = {}
        self._ids: set[str] = set()

    def speaker(
        self,
        name: str,
        key: str = "",
        *,
        bio: str = "",
        organisation: str = "",
        links: Iterable[str] = (),
    ) -> Speaker:
        """The speaker for a person named in a session (`key`: the export's own identifier
        of them, if any); the first bio, organisation and links given count."""
        name = " ".join(name.split())[:MAX_TITLE]
        key = key or "name:" + slug(name)
        person = self._by_key.get(key)
        if person is None:
            ident = base = slug(name) if name else "speaker"
            number = 1
            while ident in self._ids:
                number += 1
                ident = f"{base[: MAX_ID - 4]}-{number}"
            self._ids.add(ident)
            person = self._by_key[key] = _Person(name, ident)
        person.bio = person.bio or bio.strip()
        person.organisation = person.organisation or " ".join(organisation.split())[:MAX_TITLE]
        person.links = person.links or web_links(links)
        return Speaker(person.name, id=person.ident)

    def complete(
        self, sessions: list[ImportedSession]
    ) -> tuple[list[ImportedSession], tuple[Speaker, ...], list[str]]:
        """The sessions with their speakers' whole cards, the cards, and what was cut short."""
        warnings: list[str] = []
        speakers: dict[str, Speaker] = {}
        for person in self._by_key.values():
            bio = person.bio
            if len(bio) > MAX_BIO:
                cut = bio[: MAX_BIO - 1].rsplit(" ", 1)[0].rstrip()
                bio = cut + "…"
                warnings.append(
                    f"{person.name}: the bio is {len(person.bio):,} characters long; "
                    f"cut to {MAX_BIO:,}"
                )
            speakers[person.ident] = Speaker(
                person.name,
                affiliation=self._text(person.organisation),
                id=person.ident,
                bio=self._text(bio),
                links=person.links,
            )
        completed = [
            replace(
                item,
                session=replace(
                    item.session,
                    speakers=tuple(
                        speakers.get(s.id, s) if s.id else s for s in item.session.speakers
                    ),
                ),
            )
            for item in sessions
        ]
        return completed, tuple(speakers.values()), warnings

    def _text(self, value: str) -> Text | None:
        return Text({self._language: value}, self._language) if value else None


def read(path: Path, options: ImportOptions, fmt: str | None = None) -> Programme:
    """Read `path` (format guessed when not given); raise ImportFailed naming the place, or in
    one line what the file looks like when it is in a format no reader reads."""
    from bot.services.importers import formats

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(
            [SourceProblem(path, "", f"cannot read the file ({exc.strerror})")]
        ) from None
    # A file no reader reads (a calendar, a web page, an empty file) is refused as what it is,
    # whatever --format says.
    detected = formats.detect(path, data)
    fmt = fmt or detected
    if fmt is None:
        raise formats.cannot_tell(path)
    if fmt == "frab-json":
        from bot.services.importers import frab_json

        return frab_json.parse(path, data, options)
    if fmt == "frab-xml":
        from bot.services.importers import frab_xml

        return frab_xml.parse(path, data, options)
    if fmt in ("csv", "xlsx"):
        from bot.services.importers import spreadsheet

        return spreadsheet.parse(path, data, options, fmt)
    raise ImportFailed([SourceProblem(path, "", f"unknown format '{fmt}'")])


def stable_id(prefix: str, source_id: str) -> str:
    """A session id from the source's own identifier: numbers stay readable, others are hashed."""
    text = source_id.strip()
    if re.fullmatch(r"[A-Za-z0-9_-]{1,40}", text) and (text.isdigit() or len(text) <= 12):
        return f"{prefix}-{text}"
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    return f"{prefix}-{digest}"


def slug(text: str, limit: int = MAX_ID) -> str:
    """ASCII slug of a title for an id: 'Opening plenary!' → 'opening-plenary'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()
    if not words:
        words = "s-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return words[:limit].rstrip("-")


def session_kind(source_type: str | None) -> str:
    """Map a conference tool's session type onto the bot's kinds."""
    value = (source_type or "").strip().lower()
    if not value:
        return "other"
    rules = (
        ("break", ("break", "pause", "lunch", "coffee", "dinner", "breakfast")),
        ("workshop", ("workshop", "training", "hands-on", "tutorial")),
        ("panel", ("panel", "podium", "discussion", "roundtable", "round table")),
        ("plenary", ("plenary", "keynote", "opening", "closing")),
        ("side-event", ("side", "social", "meetup", "meeting", "reception", "self-organized")),
    )
    for kind, words in rules:
        if any(word in value for word in words):
            return kind
    return "other"


def language_code(value: str) -> str | None:
    code = value.strip().lower()
    return code if code in SUPPORTED_LANGUAGES else None
