"""The venue and the practical topics of /info."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.handlers.common import out_of_date, reply, show
from bot.handlers.consultation import open_consultation
from bot.handlers.formatting import esc
from bot.i18n import _, current_language

INFO_PREFIX = "info:"


def _topics_keyboard(context: BotContext) -> InlineKeyboardMarkup:
    consultation = context.consultation
    lang = current_language()
    buttons = [
        InlineKeyboardButton(
            f"{topic.icon} {topic.title.get(lang)}".strip(),
            callback_data=f"{INFO_PREFIX}{topic.id}",
        )
        for topic in (consultation.topics if consultation else ())
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton("📍 " + _("Venue and map"), callback_data="menu:venue")])
    return InlineKeyboardMarkup(rows)


async def show_info(update: Update, context: BotContext) -> None:
    """/info: the menu of practical topics."""
    consultation = await open_consultation(update, context)
    if consultation is None:
        return
    title = esc(consultation.name.get(current_language()))
    text = "ℹ️ <b>" + _("Practical information") + f"</b> — {title}\n\n" + _("Choose a topic:")
    if not consultation.topics:
        text += "\n" + _("The organisers have not published practical information yet.")
    await show(update, context, text, _topics_keyboard(context))


async def topic_button(update: Update, context: BotContext) -> None:
    """info:<topic>: one topic's text, with the way back to the menu."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    consultation = context.consultation
    topic_id = query.data.removeprefix(INFO_PREFIX)
    if topic_id == "menu":
        await show_info(update, context)
        return
    topic = consultation.topic(topic_id) if consultation else None
    if topic is None:
        await out_of_date(update)
        return
    await query.answer()
    lang = current_language()
    text = f"{esc(topic.icon)} <b>{esc(topic.title.get(lang))}</b>\n\n{esc(topic.text.get(lang))}"
    back = InlineKeyboardMarkup(
        [[InlineKeyboardButton("« " + _("All topics"), callback_data=f"{INFO_PREFIX}menu")]]
    )
    await show(update, context, text, back)


async def show_venue(update: Update, context: BotContext) -> None:
    """/venue: a map pin with the address, then directions."""
    consultation = await open_consultation(update, context)
    chat = update.effective_chat
    if consultation is None or chat is None:
        return
    lang = current_language()
    venue = consultation.venue
    await context.bot.send_venue(
        chat.id,
        latitude=venue.latitude,
        longitude=venue.longitude,
        title=venue.name.get(lang)[:256],
        address=venue.address.get(lang)[:256],
    )
    lines = [
        "📍 <b>" + esc(venue.name.get(lang)) + "</b>",
        esc(venue.address.get(lang)),
    ]
    if venue.directions:
        lines += ["", "🧭 <b>" + _("How to get there") + "</b>", esc(venue.directions.get(lang))]
    url = venue.map_url or (
        f"https://www.openstreetmap.org/?mlat={venue.latitude}&mlon={venue.longitude}"
        f"#map=17/{venue.latitude}/{venue.longitude}"
    )
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("🗺 " + _("Open the map"), url=url)]])
    await reply(update, context, "\n".join(lines), markup)
