"""Import a programme into a consultation: read, compare with the current one, report or write.

The imported sessions replace the consultation's `sessions.yaml`; `consultation.yaml` keeps its
text, only its dates (with `adjust_dates`) and its `day_change` are updated when the programme
needs it. The export's persons fill `speakers.yaml`: a person already there (same id, made from
their name) keeps what the export does not say (role, photo, links, translations), and speakers
no longer on the programme stay, for the organisers to remove. Nothing is written unless the
result loads back as valid event data, and files are replaced atomically, so a failed import
leaves the running programme untouched.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from bot.i18n import counted
from bot.services import importers
from bot.services.changes import (
    ADDED,
    CANCELLED,
    MOVED,
    RETITLED,
    ROOM,
    SessionChange,
    diff_sessions,
)
from bot.services.data_reading import MAX_TEXT, EventDataError, Text
from bot.services.event_data import (
    FILES,
    Consultation,
    Document,
    Room,
    Session,
    Speaker,
    load_consultation,
)
from bot.services.importers import ImportFailed, ImportOptions, Programme, SourceProblem


@dataclass(frozen=True)
class ImportPlan:
    """What an import would do to one consultation."""

    directory: Path
    current: Consultation
    updated: Consultation
    programme: Programme
    changes: list[SessionChange]
    details_changed: list[str]  # same time, room and title, other fields changed
    new_dates: tuple[date, date] | None = None
    new_day_change: timedelta | None = None
    warnings: list[str] = field(default_factory=list)
    # Speakers of speakers.yaml the export brings, and those it no longer names (kept).
    new_speakers: list[str] = field(default_factory=list)
    idle_speakers: list[str] = field(default_factory=list)
    # Rooms of the export not yet in rooms.yaml, added to it (the file is written when any is).
    new_rooms: list[Room] = field(default_factory=list)

    @property
    def added(self) -> list[SessionChange]:
        return [c for c in self.changes if ADDED in c.kinds]

    @property
    def removed(self) -> list[SessionChange]:
        return [c for c in self.changes if CANCELLED in c.kinds]

    @property
    def changed(self) -> list[SessionChange]:
        return [c for c in self.changes if not c.kinds & {ADDED, CANCELLED}]

    @property
    def is_noop(self) -> bool:
        return not (
            self.changes
            or self.details_changed
            or self.new_dates
            or self.new_day_change
            or self.current.speakers != self.updated.speakers
            or self.new_rooms
        )


def _zone_warning(programme: Programme, current: Consultation) -> str | None:
    """What became of the times of an export made in another time zone than the consultation's:
    converted by their offsets, or, having none, read as the export's zone's time."""
    named, ours = programme.time_zone_name, current.timezone.key
    if not named or named == ours or programme.read_in != named:
        # The same zone; or one unknown, of which the reader already warned.
        return None
    said = f"the export's time zone is {named}, the consultation's {ours}: "
    if not programme.without_offset:
        return said + "times are converted using the offsets in the file"
    if not programme.with_offset:
        return (
            said + f"the file's times carry no offset, so they are read as {named} time "
            f"and converted to {ours}"
        )
    without = counted(programme.without_offset, "time", "times")
    return (
        said + f"times with an offset are converted using it, and those without one ({without}) "
        f"are read as {named} time and converted to {ours}"
    )


def plan_import(
    data_dir: Path,
    consultation_id: str,
    source: Path,
    fmt: str | None = None,
    *,
    adjust_dates: bool = False,
) -> ImportPlan:
    """Read `source` and compare it with the consultation; raise ImportFailed on any problem."""
    directory = data_dir / consultation_id
    if not (directory / "consultation.yaml").is_file():
        known = sorted(p.parent.name for p in data_dir.glob("*/consultation.yaml"))
        listed = f" (known: {', '.join(known)})" if known else ""
        raise ImportFailed(
            [SourceProblem(data_dir, "", f"no consultation '{consultation_id}' here{listed}")]
        )
    try:
        current = load_consultation(directory)
    except EventDataError as exc:
        raise ImportFailed(
            [
                SourceProblem(p.file, f"line {p.line}" if p.line else "", p.message)
                for p in exc.problems
            ]
        ) from None
    options = ImportOptions(zone=current.timezone, language=current.default_language)
    programme = importers.read(source, options, fmt)
    warnings = list(programme.warnings)
    zone_warning = _zone_warning(programme, current)
    if zone_warning:
        warnings.append(zone_warning)
    first, last = programme.first_day, programme.last_day
    assert first is not None
    assert last is not None
    new_dates: tuple[date, date] | None = None
    if (first, last) != (current.start, current.end) and (
        first < current.start or last > current.end
    ):
        if not adjust_dates:
            raise ImportFailed(
                [
                    SourceProblem(
                        source,
                        "",
                        f"the programme runs from {first} to {last}, outside the consultation "
                        f"'{current.id}' ({current.start} to {current.end}); correct the dates "
                        "in consultation.yaml, or import with --adjust-dates to set them to the "
                        "programme's",
                    )
                ]
            )
        new_dates = (first, last)
    elif adjust_dates and (first, last) != (current.start, current.end):
        new_dates = (first, last)
    needed = programme.day_change(current.timezone)
    new_day_change = needed if needed > current.day_change else None
    speakers = merge_speakers(current.speakers, programme.speakers)
    by_id = {s.id: s for s in speakers}
    rooms, new_rooms, placed = place_in_rooms(current, programme)
    sessions = tuple(
        sorted(
            (_with_speakers(_kept(s, current), by_id) for s in placed),
            key=lambda s: (s.start, s.end, s.id),
        )
    )
    updated = replace(
        current,
        rooms=rooms,
        sessions=sessions,
        speakers=speakers,
        start=new_dates[0] if new_dates else current.start,
        end=new_dates[1] if new_dates else current.end,
        day_change=new_day_change or current.day_change,
    )
    changes = diff_sessions(current, updated)
    flagged = {c.session_id for c in changes}
    # A session that did not change rooms may have gained its room's id (the first import into
    # a consultation without rooms.yaml): that is no change of its details.
    details = [
        s.id
        for s in sessions
        if s.id not in flagged
        and (old := current.session(s.id)) is not None
        and replace(old, room=s.room, room_id=s.room_id) != s
    ]
    named = {p.id for s in sessions for p in s.speakers}
    carded = {s.id for s in current.speakers}
    return ImportPlan(
        directory=directory,
        current=current,
        updated=updated,
        programme=programme,
        changes=changes,
        details_changed=details,
        new_dates=new_dates,
        new_day_change=new_day_change,
        warnings=warnings,
        new_speakers=[s.id for s in programme.speakers if s.id and s.id not in carded],
        idle_speakers=[s.id for s in speakers if s.id and s.id not in named],
        new_rooms=new_rooms,
    )


def _kept(session: Session, current: Consultation) -> Session:
    """The imported session with what organisers added to it in sessions.yaml and no export
    carries: its seats, sign-ups and documents."""
    old = current.session(session.id)
    if old is None:
        return session
    return replace(session, capacity=old.capacity, signup=old.signup, documents=old.documents)


def _with_speakers(session: Session, by_id: dict[str | None, Speaker]) -> Session:
    speakers = tuple(by_id.get(s.id, s) if s.id else s for s in session.speakers)
    return replace(session, speakers=speakers)


def merge_speakers(
    current: tuple[Speaker, ...], imported: tuple[Speaker, ...]
) -> tuple[Speaker, ...]:
    """speakers.yaml after an import: each speaker already there in its place, updated with
    what the export says of them (their name, and a bio or organisation when it has one and
    it differs from the default language's text there), then the export's new speakers."""
    by_id = {s.id: s for s in imported}
    merged: list[Speaker] = []
    for old in current:
        new = by_id.pop(old.id, None)
        if new is None:
            merged.append(old)
            continue
        # A spreadsheet may name a speaker of speakers.yaml by id: the name stays theirs.
        name = old.name if new.name == old.id else new.name
        merged.append(
            replace(
                old,
                name=name,
                affiliation=_newer(old.affiliation, new.affiliation),
                bio=_newer(old.bio, new.bio),
            )
        )
    merged.extend(by_id.values())
    return tuple(merged)


def _newer(old: Text | None, new: Text | None) -> Text | None:
    """The export's text, unless it says nothing, or what the file already says (whose
    translations then stay)."""
    if new is None:
        return old
    if old is not None and old.get(new.default) == new.get(new.default):
        return old
    return new


def place_in_rooms(
    current: Consultation, programme: Programme
) -> tuple[tuple[Room, ...], list[Room], list[Session]]:
    """The export's sessions in the rooms of rooms.yaml: a room already there by one of its
    names (in any language, any case) keeps its id, directions and map; another is added, its
    id made from its name. Returns every room, the new ones, and the sessions naming theirs."""
    by_name = {text.casefold(): room for room in current.rooms for text in room.name.all()}
    taken = {room.id for room in current.rooms}
    described = {r.name.casefold(): r for r in programme.source_rooms}
    new_rooms: list[Room] = []
    placed: list[Session] = []
    for item in programme.sessions:
        session = item.session
        if session.room is None:
            placed.append(session)
            continue
        room = next(
            (by_name[t.casefold()] for t in session.room.all() if t.casefold() in by_name), None
        )
        if room is None:
            name = session.room.get(session.room.default)
            source = described.get(name.casefold())
            room = Room(
                id=_unique_id(importers.slug(name), taken),
                name=session.room,
                directions=(
                    Text(
                        {session.room.default: source.description[:MAX_TEXT]}, session.room.default
                    )
                    if source and source.description
                    else None
                ),
                capacity=source.capacity if source else None,
            )
            taken.add(room.id)
            new_rooms.append(room)
            by_name.update({text.casefold(): room for text in room.name.all()})
        placed.append(replace(session, room=room.name, room_id=room.id))
    # New rooms in the export's own order of rooms when it has one, else as first used.
    order = {r.name.casefold(): index for index, r in enumerate(programme.source_rooms)}
    new_rooms.sort(key=lambda r: order.get(r.name.get(r.name.default).casefold(), len(order)))
    return (*current.rooms, *new_rooms), new_rooms, placed


def _unique_id(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3`… when another room has it (ids are 48 characters at most)."""
    ident = base or "room"
    number = 1
    while ident in taken:
        number += 1
        suffix = f"-{number}"
        ident = (base or "room")[: importers.MAX_ID - len(suffix)].rstrip("-") + suffix
    return ident


# --- Writing ------------------------------------------------------------------------------


class _Literal(str):
    """A multi-line string, written as a YAML block."""


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


if TYPE_CHECKING:
    _BaseDumper = yaml.SafeDumper
else:  # libyaml's emitter when installed: much faster on large programmes
    _BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):
    pass


_Dumper.add_representer(_Literal, _literal)


def _text(value: Text) -> Any:
    def one(text: str) -> str:
        return _Literal(text) if "\n" in text else text

    if set(value.values) == {value.default}:
        return one(value.values[value.default])
    ordered = sorted(value.values, key=lambda lang: (lang != value.default, lang))
    return {lang: one(value.values[lang]) for lang in ordered}


def _local(moment: datetime, consultation: Consultation) -> str:
    return moment.astimezone(consultation.timezone).strftime("%Y-%m-%dT%H:%M")


def session_entry(session: Session, consultation: Consultation, directory: Path) -> dict[str, Any]:
    """One session as it is written in sessions.yaml (docs/data-format.md)."""
    entry: dict[str, Any] = {"id": session.id, "title": _text(session.title)}
    if session.description:
        entry["description"] = _text(session.description)
    entry["start"] = _local(session.start, consultation)
    entry["end"] = _local(session.end, consultation)
    if session.room_id is not None:
        entry["room"] = session.room_id
    elif session.room:
        entry["room"] = _text(session.room)
    if session.track:
        entry["track"] = _text(session.track)
    if session.kind != "other":
        entry["kind"] = session.kind
    if session.speakers:
        entry["speakers"] = [_speaker_named(s) for s in session.speakers]
    if session.interpretation:
        entry["interpretation"] = list(session.interpretation)
    if session.capacity is not None:
        entry["capacity"] = session.capacity
    if session.signup:
        entry["signup"] = True
    if session.documents:
        entry["documents"] = [_document_entry(d, directory) for d in session.documents]
    if session.chairs:
        entry["chairs"] = list(session.chairs)
    return entry


def _document_entry(document: Document, directory: Path) -> dict[str, Any]:
    """A session's document as written in sessions.yaml."""
    entry: dict[str, Any] = {"id": document.id, "title": _text(document.title)}
    if document.kind != "other":
        entry["kind"] = document.kind
    if document.url is not None:
        entry["url"] = document.url
    if document.file is not None:
        try:
            entry["file"] = document.file.relative_to(directory).as_posix()
        except ValueError:  # not under the directory: the check would refuse it anyway
            entry["file"] = document.file.as_posix()
    return entry


def _speaker_named(speaker: Speaker) -> str | dict[str, Any]:
    """A session's speaker: the id of their card, or inline without one."""
    if speaker.id is not None:
        return speaker.id
    entry: dict[str, Any] = {"name": speaker.name}
    if speaker.affiliation:
        entry["affiliation"] = _text(speaker.affiliation)
    return entry


def render_sessions(
    consultation: Consultation, directory: Path, source: Path | None = None
) -> str:
    """sessions.yaml for the consultation's sessions (files named relative to `directory`)."""
    header = f"# Imported from {source.name} by `python -m bot import`.\n" if source else ""
    header += (
        "# Re-importing rewrites this file from the export; each session keeps its capacity,\n"
        "# signup and documents written here. Edit the rest in the source and import again.\n"
    )
    body = yaml.dump(
        {"sessions": [session_entry(s, consultation, directory) for s in consultation.sessions]},
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=100,
        default_flow_style=False,
    )
    return header + body


def speaker_entry(speaker: Speaker, directory: Path) -> dict[str, Any]:
    """One speaker as written in speakers.yaml (docs/data-format.md)."""
    entry: dict[str, Any] = {"id": speaker.id, "name": speaker.name}
    for key, text in (("organisation", speaker.affiliation), ("role", speaker.role)):
        if text is not None:
            entry[key] = _text(text)
    if speaker.bio is not None:
        entry["bio"] = _text(speaker.bio)
    if speaker.photo is not None:
        try:
            entry["photo"] = speaker.photo.relative_to(directory).as_posix()
        except ValueError:  # not under the directory: the check would refuse it anyway
            entry["photo"] = speaker.photo.as_posix()
    if speaker.links:
        entry["links"] = list(speaker.links)
    return entry


def render_speakers(consultation: Consultation, directory: Path, source: Path | None) -> str:
    """speakers.yaml for the consultation's speakers with a card."""
    header = (
        f"# Persons imported from {source.name} by `python -m bot import`.\n" if source else ""
    )
    header += (
        "# Re-importing keeps what you add here (role, photo, links, translations) and updates\n"
        "# names, bios and organisations from the export.\n"
    )
    return header + _dump(
        {"speakers": [speaker_entry(s, directory) for s in consultation.speakers]}
    )


def room_entry(room: Room, directory: Path) -> dict[str, Any]:
    """One room as it is written in rooms.yaml (docs/data-format.md)."""
    entry: dict[str, Any] = {"id": room.id, "name": _text(room.name)}
    if room.location:
        entry["location"] = _text(room.location)
    if room.directions:
        entry["directions"] = _text(room.directions)
    if room.map:
        entry["map"] = room.map.path.relative_to(directory.resolve()).as_posix()
    if room.accessibility:
        entry["accessibility"] = _text(room.accessibility)
    if room.capacity:
        entry["capacity"] = room.capacity
    if room.interpretation:
        if any(c.channel is not None for c in room.interpretation):
            entry["interpretation"] = {c.channel: c.language for c in room.interpretation}
        else:
            entry["interpretation"] = [c.language for c in room.interpretation]
    return entry


def _dump(value: Any) -> str:
    return yaml.dump(
        value,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=100,
        default_flow_style=False,
    )


_ROOMS_HEADER = (
    "# The venue's rooms; sessions.yaml names them by id. `python -m bot import` adds the\n"
    "# export's new rooms here: give them directions, a map, accessibility notes (see\n"
    "# docs/data-format.md).\n"
)
# The first entry of the list in an existing rooms.yaml, for its indentation.
_FIRST_ENTRY = re.compile(r"^rooms:[^\n]*\n(?:[ \t]*(?:#[^\n]*)?\n)*([ \t]*)- ", re.MULTILINE)


def render_rooms(plan: ImportPlan) -> str | None:
    """rooms.yaml with the export's new rooms, or None when it needs none. An existing file keeps
    its text and comments, the new rooms added at its end."""
    if not plan.new_rooms:
        return None
    path = plan.directory / "rooms.yaml"
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    entries = [room_entry(room, plan.directory) for room in plan.new_rooms]
    found = _FIRST_ENTRY.search(existing)
    if found is not None and not existing[found.end() :].lstrip().startswith("["):
        indent = found.group(1)
        added = "".join(
            indent + line if line else line for line in _dump(entries).splitlines(keepends=True)
        )
        return existing.rstrip("\n") + "\n" + added
    # No file (or no list in it yet): the whole file, every room in it.
    rooms = [room_entry(room, plan.directory) for room in plan.updated.rooms]
    return _ROOMS_HEADER + _dump({"rooms": rooms})


def _set_key(text: str, key: str, value: str, after: str) -> str:
    """Replace a top-level `key:` value in consultation.yaml, keeping everything else."""
    pattern = re.compile(rf"^{key}:[^\n#]*?(\s*#.*)?$", re.MULTILINE)
    if pattern.search(text):
        return pattern.sub(lambda m: f"{key}: {value}{m.group(1) or ''}", text, count=1)
    anchor = re.compile(rf"^{after}:.*$", re.MULTILINE)
    match = anchor.search(text)
    if match is None:
        return text.rstrip("\n") + f"\n{key}: {value}\n"
    return text[: match.end()] + f"\n{key}: {value}" + text[match.end() :]


def render_consultation(plan: ImportPlan) -> str | None:
    """consultation.yaml with updated dates and day change, or None when it is unchanged."""
    if not (plan.new_dates or plan.new_day_change):
        return None
    text = (plan.directory / "consultation.yaml").read_text(encoding="utf-8")
    if plan.new_dates:
        text = _set_key(text, "start", plan.new_dates[0].isoformat(), "timezone")
        text = _set_key(text, "end", plan.new_dates[1].isoformat(), "start")
    if plan.new_day_change:
        text = _set_key(text, "day_change", f'"{_clock(plan.new_day_change)}"', "end")
    return text


def _clock(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _atomic_write(path: Path, text: str) -> None:
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            shutil.copymode(path, temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def apply_import(plan: ImportPlan) -> Consultation:
    """Write the planned files after checking they load back as the planned programme."""
    sessions_text = render_sessions(plan.updated, plan.directory, plan.programme.source)
    consultation_text = render_consultation(plan)
    speakers_text = (
        render_speakers(plan.updated, plan.directory, plan.programme.source)
        if plan.updated.speakers != plan.current.speakers
        else None
    )
    rooms_text = render_rooms(plan)
    with tempfile.TemporaryDirectory(prefix="import-check-") as scratch:
        trial = Path(scratch) / plan.directory.name
        trial.mkdir()
        for name in (*FILES, "speakers.yaml", "rooms.yaml"):
            if (plan.directory / name).exists():
                shutil.copy2(plan.directory / name, trial / name)
        for room in plan.current.rooms:
            if room.map is not None:  # the rooms' maps, checked like the files
                relative = room.map.path.relative_to(plan.directory.resolve())
                (trial / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(room.map.path, trial / relative)
        (trial / "sessions.yaml").write_text(sessions_text, encoding="utf-8")
        if consultation_text is not None:
            (trial / "consultation.yaml").write_text(consultation_text, encoding="utf-8")
        if speakers_text is not None:
            (trial / "speakers.yaml").write_text(speakers_text, encoding="utf-8")
        if rooms_text is not None:
            (trial / "rooms.yaml").write_text(rooms_text, encoding="utf-8")
        try:
            # The speakers' photos are looked for where they are, beside the real files.
            loaded = load_consultation(trial, files=plan.directory)
        except EventDataError as exc:
            raise ImportFailed(
                [
                    SourceProblem(plan.programme.source, "", f"the result would not load: {p}")
                    for p in exc.problems
                ]
            ) from None
    if (
        loaded.sessions != plan.updated.sessions
        or loaded.speakers != plan.updated.speakers
        or [r.id for r in loaded.rooms] != [r.id for r in plan.updated.rooms]
    ):
        raise ImportFailed(
            [SourceProblem(plan.programme.source, "", "the sessions did not survive writing")]
        )
    # consultation.yaml, rooms.yaml and speakers.yaml first: the dates, the rooms and the
    # speakers the new sessions need.
    if consultation_text is not None:
        _atomic_write(plan.directory / "consultation.yaml", consultation_text)
    if rooms_text is not None:
        _atomic_write(plan.directory / "rooms.yaml", rooms_text)
    if speakers_text is not None:
        _atomic_write(plan.directory / "speakers.yaml", speakers_text)
    _atomic_write(plan.directory / "sessions.yaml", sessions_text)
    return loaded


# --- Reporting ----------------------------------------------------------------------------


def _when(session: Session, consultation: Consultation) -> str:
    start = session.start.astimezone(consultation.timezone)
    end = session.end.astimezone(consultation.timezone)
    return f"{start:%a %Y-%m-%d %H:%M}–{end:%H:%M}"


def _line(session: Session, consultation: Consultation) -> str:
    room = f" · {session.room.get(consultation.default_language)}" if session.room else ""
    title = session.title.get(consultation.default_language)
    return f"{session.id}  {_when(session, consultation)}{room} · {title}"


def describe(plan: ImportPlan, *, dry_run: bool) -> str:
    """The import as an organiser reads it: summary, then each added, changed, removed session."""
    c = plan.updated
    programme = plan.programme
    would = "would " if dry_run else ""
    lines = [
        f"{programme.source} ({importers.FORMAT_NAMES.get(programme.format, programme.format)}): "
        f"{counted(len(programme.sessions), 'session', 'sessions')} in "
        f"{counted(len(programme.rooms()), 'room', 'rooms')}, "
        f"{programme.first_day} to {programme.last_day}",
    ]
    lines += [f"  warning: {w}" for w in plan.warnings]
    if plan.is_noop:
        lines.append(f"No change to '{c.id}': its programme is already the same.")
        return "\n".join(lines)
    lines.append(
        f"'{c.id}' {would}change: {len(plan.added)} added, "
        f"{len(plan.changed) + len(plan.details_changed)} changed, {len(plan.removed)} removed."
    )
    if plan.new_dates:
        lines.append(
            f"  dates {plan.current.start} to {plan.current.end} → "
            f"{plan.new_dates[0]} to {plan.new_dates[1]} (consultation.yaml)"
        )
    if plan.new_rooms:
        lines.append(
            f"  {len(plan.new_rooms)} new rooms (rooms.yaml): "
            + ", ".join(f"{r.id} ({r.name.get(c.default_language)})" for r in plan.new_rooms)
        )
    if plan.new_day_change:
        lines.append(
            f"  day_change → {_clock(plan.new_day_change)} (consultation.yaml): sessions after "
            "midnight "
            "stay on the evening's day"
        )
    if plan.added:
        lines.append("Added:")
        lines += [f"  + {_line(ch.new, c)}" for ch in plan.added if ch.new]
    if plan.changed or plan.details_changed:
        lines.append("Changed:")
        for ch in plan.changed:
            assert ch.old is not None
            assert ch.new is not None
            notes = []
            if MOVED in ch.kinds:
                notes.append(f"moved {_when(ch.old, c)} → {_when(ch.new, c)}")
            if ROOM in ch.kinds:
                old_room = ch.old.room.get(c.default_language) if ch.old.room else "no room"
                new_room = ch.new.room.get(c.default_language) if ch.new.room else "no room"
                notes.append(f"room {old_room} → {new_room}")
            if RETITLED in ch.kinds:
                notes.append(
                    f"title '{ch.old.title.get(c.default_language)}' → "
                    f"'{ch.new.title.get(c.default_language)}'"
                )
            lines.append(f"  ~ {ch.session_id}  " + "; ".join(notes))
        for ident in plan.details_changed:
            session = c.session(ident)
            assert session is not None
            lines.append(
                f"  ~ {ident}  details (description, speakers, track…) · "
                f"{session.title.get(c.default_language)}"
            )
    if plan.removed:
        lines.append("Removed:")
        lines += [f"  - {_line(ch.old, plan.current)}" for ch in plan.removed if ch.old]
    if plan.updated.speakers != plan.current.speakers:
        lines.append(
            f"speakers.yaml {'would hold' if dry_run else 'now holds'} "
            f"{len(plan.updated.speakers)} speakers ({len(plan.new_speakers)} new)."
        )
    if plan.idle_speakers:
        lines.append(
            "  speaking at no session, kept in speakers.yaml (remove them there if they "
            "are gone): " + ", ".join(plan.idle_speakers)
        )
    return "\n".join(lines)
