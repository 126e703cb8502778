"""What the command-line modules share: loading the event data, or saying where it is wrong."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from bot.services.data_reading import EventDataError
from bot.services.event_data import Consultation, EventData, Session, load_event_data


def invalid_data(data_dir: Path, error: EventDataError) -> str:
    """The message for invalid event data: the folder, then each problem with its place in it."""
    problems = "\n".join(f"  {problem.relative_to(data_dir)}" for problem in error.problems)
    return f"The event data in {data_dir} is invalid:\n{problems}"


def unknown_consultation(events: EventData, wanted: str) -> str:
    """The message for a --consultation the data does not have, with the ones it has."""
    return f"Unknown consultation '{wanted}' (known: {', '.join(events.consultations)})"


def load_events(data_dir: Path) -> EventData | None:
    """The event data, or None after printing its problems to stderr."""
    try:
        return load_event_data(data_dir)
    except EventDataError as exc:
        print(invalid_data(data_dir, exc), file=sys.stderr)
        return None


def consultation_with(
    events: EventData,
    wanted: str | None,
    session_id: str,
    fits: Callable[[Session], bool] = lambda _session: True,
    missing: str = "No session '{session}' in the data.",
) -> Consultation | str:
    """The consultation (`wanted`, else any) holding the session, if `fits` it; or the message to
    print instead: an unknown consultation, no such session (`missing`), or several."""
    if wanted:
        chosen = events.get(wanted)
        if chosen is None:
            return unknown_consultation(events, wanted)
        candidates = [chosen]
    else:
        candidates = list(events.consultations.values())
    found = [c for c in candidates if (s := c.session(session_id)) is not None and fits(s)]
    if not found:
        return missing.format(session=session_id)
    if len(found) > 1:
        names = ", ".join(c.id for c in found)
        return f"Several consultations have a session '{session_id}' ({names}): --consultation"
    return found[0]
