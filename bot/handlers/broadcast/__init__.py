"""Organisers' announcements: /broadcast composes one step by step, /broadcasts follows them.

Composing: the text in one or more languages (a photo or a document may come with it), the
audience, a preview exactly as recipients will see it with their count, then send now, schedule
or cancel. The draft lives in SQLite, so a restart loses nothing. Sending goes through the
outbox; a repeating job starts scheduled broadcasts, keeps the organiser's progress message up to
date and ends it with the report.

One module per step: `draft` (starting, the draft in progress), `text` (languages and
attachments), `audience`, `preview` (and sending now), `schedule`, `report` (reports,
/broadcasts, stopping), `progress` (the repeating job); `card` is the draft's screen they come
back to, `labels` how their parts read, `message` what recipients get, `conversation` the wiring.
"""

from bot.handlers.broadcast.conversation import register
from bot.handlers.broadcast.message import announcement, message_for
from bot.handlers.broadcast.progress import ProgressBoard, start_broadcasts
from bot.handlers.broadcast.report import report_text

__all__ = [
    "ProgressBoard",
    "announcement",
    "message_for",
    "register",
    "report_text",
    "start_broadcasts",
]
