"""Starting a draft (/broadcast), the draft in progress kept or dropped, cancelled."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.handlers.broadcast.access import organiser_only
from bot.handlers.broadcast.card import button_data, draft_card
from bot.handlers.broadcast.labels import quoted_excerpt, scope_name
from bot.handlers.broadcast.text import text_prompt
from bot.handlers.common import reply, show
from bot.handlers.formatting import esc
from bot.i18n import _, current_language
from bot.services.broadcasts import BroadcastNotFound
from bot.storage.broadcasts import BroadcastRecord


async def start_broadcast(update: Update, context: BotContext) -> None:
    """/broadcast: a new announcement, starting with its text; first, ask about one in progress."""
    if not await organiser_only(update, context) or context.profile is None:
        return
    try:
        draft = await context.services.broadcasts.draft(context.profile.user_id)
    except BroadcastNotFound:
        draft = None
    # A new draft replaces the old one: one with something written is not dropped unasked.
    if draft is not None and (draft.texts or draft.media_kind):
        await _ask_about_draft(update, context, draft)
        return
    text, markup = await _new_draft(context)
    await reply(update, context, text, markup)


async def _new_draft(context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    """A fresh draft (the organiser's other one is discarded), and the prompt for its text."""
    assert context.profile is not None
    services = context.services
    consultation = context.consultation
    language = current_language()
    record = await services.broadcasts.new_draft(
        context.profile.user_id, consultation.id if consultation else None, language
    )
    scope = esc(scope_name(services, record))
    intro = "📢 <b>" + _("New announcement") + "</b> — " + scope
    text, markup = text_prompt(language, record)
    return intro + "\n\n" + text, markup


async def _ask_about_draft(update: Update, context: BotContext, draft: BroadcastRecord) -> None:
    excerpt = quoted_excerpt(draft)
    lines = [
        "📝 <b>"
        + _("You have a draft in progress")
        + "</b> — "
        + esc(scope_name(context.services, draft))
    ]
    if excerpt:
        lines.append(excerpt)
    lines += ["", _("Continue it, or discard it and start again?")]
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("✏️ " + _("Continue it"), callback_data=button_data(draft, "c"))],
            [
                InlineKeyboardButton(
                    "🗑 " + _("Discard it and start again"), callback_data=button_data(draft, "n")
                )
            ],
        ]
    )
    await reply(update, context, "\n".join(lines), markup)


async def start_again(
    update: Update, context: BotContext, _record: BroadcastRecord, _args: list[str]
) -> None:
    """The draft in progress is dropped for a new one (creating it discards the old)."""
    assert update.callback_query is not None
    await update.callback_query.answer(_("Draft discarded."))
    text, markup = await _new_draft(context)
    await show(update, context, text, markup)


async def show_card(
    update: Update, context: BotContext, record: BroadcastRecord, _args: list[str]
) -> None:
    assert update.callback_query is not None
    await context.services.broadcasts.stop_expecting(record.created_by or 0)
    await update.callback_query.answer()
    text, markup = await draft_card(context.services, record)
    await show(update, context, text, markup)


async def discard(
    update: Update, context: BotContext, record: BroadcastRecord, _args: list[str]
) -> None:
    assert update.callback_query is not None
    assert context.profile is not None
    await context.services.broadcasts.discard(context.profile.user_id, record.id)
    await update.callback_query.answer()
    await show(update, context, "✖️ " + _("Announcement cancelled. Nothing was sent."))
