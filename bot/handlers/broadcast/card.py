"""The draft card, the screen every step of composing comes back to, and its buttons' data."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.context import Services
from bot.handlers.broadcast.labels import audience_label, delegate_count, scope_name
from bot.handlers.formatting import esc, join_list, language_name
from bot.i18n import LANGUAGE_NAMES, SUPPORTED, _
from bot.services.broadcasts import Audience
from bot.storage.broadcasts import BroadcastRecord

PREFIX = "bc:"


def button_data(record: BroadcastRecord, action: str) -> str:
    return f"{PREFIX}{record.id}:{action}"


def back_button(record: BroadcastRecord) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        "⬅️ " + _("Back to the draft"), callback_data=button_data(record, "c")
    )


async def draft_card(
    services: Services, record: BroadcastRecord
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        "📢 <b>" + _("Announcement draft") + "</b> — " + esc(scope_name(services, record)),
        "",
    ]
    if record.texts:
        names = [
            language_name(code) + (" ⭐" if code == record.fallback else "")
            for code in SUPPORTED
            if code in record.texts
        ]
        lines.append("📝 " + _("Written in: {languages}").format(languages=join_list(names)))
        if len(record.texts) < len(SUPPORTED) and record.fallback:
            lines.append(
                "   "
                + _("Delegates who read another language get the {language} text (⭐).").format(
                    language=language_name(record.fallback)
                )
            )
    if record.media_kind == "photo":
        lines.append("🖼 " + _("With a photo"))
    elif record.media_kind == "document":
        lines.append("📎 " + _("With a document"))
    count = await services.broadcasts.count(
        Audience.from_json(record.audience), record.consultation_id
    )
    lines.append(
        "👥 "
        + _("Audience: {audience} — {people}").format(
            audience=audience_label(services, record), people=delegate_count(count)
        )
    )
    lines += ["", _("Add a language, choose the audience, then preview it before sending.")]
    language_buttons = [
        InlineKeyboardButton(
            ("✏️ " if code in record.texts else "➕ ") + LANGUAGE_NAMES[code],
            callback_data=button_data(record, f"t:{code}"),
        )
        for code in SUPPORTED
    ]
    rows = [language_buttons[:2], language_buttons[2:]]
    options = [InlineKeyboardButton("👥 " + _("Audience"), callback_data=button_data(record, "a"))]
    if len(record.texts) > 1:
        options.append(
            InlineKeyboardButton(
                "⭐ " + _("Other languages get…"), callback_data=button_data(record, "f")
            )
        )
    rows.append(options)
    if record.media_kind:
        rows.append(
            [
                InlineKeyboardButton(
                    "🗑 " + _("Remove the attachment"), callback_data=button_data(record, "m")
                )
            ]
        )
    rows.append(
        [
            InlineKeyboardButton("👁 " + _("Preview"), callback_data=button_data(record, "p")),
            InlineKeyboardButton("✖️ " + _("Cancel"), callback_data=button_data(record, "x")),
        ]
    )
    return "\n".join(lines), InlineKeyboardMarkup(rows)
