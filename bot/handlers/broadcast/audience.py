"""Who gets it: everyone, a consultation, a language, a session's audience, a role."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.handlers.broadcast.card import back_button, button_data, draft_card
from bot.handlers.broadcast.labels import number
from bot.handlers.common import out_of_date, page_buttons, parse_id, show
from bot.handlers.formatting import day_short, shorten
from bot.i18n import LANGUAGE_NAMES, SUPPORTED, _, current_language
from bot.services.broadcasts import Audience, AudienceNotValid
from bot.services.event_data import Consultation
from bot.services.people import MODERATOR, ORGANISER
from bot.storage.broadcasts import BroadcastRecord

SESSIONS_PER_PAGE = 8


async def audience_menu(
    update: Update, context: BotContext, record: BroadcastRecord, args: list[str]
) -> None:
    """bc:<id>:a — choose; bc:<id>:a:<kind>[:<value>] — chosen."""
    assert update.callback_query is not None
    services = context.services
    consultation = context.consultation or services.events.get(record.consultation_id)
    if args:
        await _choose_audience(update, context, record, consultation, args)
        return
    broadcasts = services.broadcasts
    cid = consultation.id if consultation else None
    rows = [
        [
            InlineKeyboardButton(
                "🌍 "
                + _("Everyone, all consultations")
                + f" ({number(await broadcasts.count(Audience('all'), None))})",
                callback_data=button_data(record, "a:all"),
            )
        ]
    ]
    if consultation is not None:
        name = shorten(consultation.name.get(current_language()), 40)
        # One count: the consultation's delegates by language give the language audiences too.
        languages = await broadcasts.by_language(Audience("consultation"), cid)
        count = sum(languages.values())
        rows.append(
            [
                InlineKeyboardButton(
                    "🏛 "
                    + _("Everyone in {consultation}").format(consultation=name)
                    + f" ({number(count)})",
                    callback_data=button_data(record, "a:c"),
                )
            ]
        )
        language_buttons = []
        for code in SUPPORTED:
            language_buttons.append(
                InlineKeyboardButton(
                    f"🗣 {LANGUAGE_NAMES[code]} ({number(languages.get(code, 0))})",
                    callback_data=button_data(record, f"a:l:{code}"),
                )
            )
        rows += [language_buttons[:2], language_buttons[2:]]
        rows.append(
            [
                InlineKeyboardButton(
                    "⭐ " + _("Those who starred a session…"),
                    callback_data=button_data(record, "a:s:0"),
                )
            ]
        )
    role_buttons = []
    for role, label in ((ORGANISER, _("Organisers")), (MODERATOR, _("Moderators"))):
        count = await broadcasts.count(Audience("role", role=role), None)
        role_buttons.append(
            InlineKeyboardButton(
                f"🛡 {label} ({number(count)})", callback_data=button_data(record, f"a:r:{role}")
            )
        )
    rows.append(role_buttons)
    title = "👥 <b>" + _("Who should get it?") + "</b>"
    hint = _("Counts are of the delegates who use the bot now.")
    await _menu(update, context, record, f"{title}\n{hint}", rows)


async def _choose_audience(
    update: Update,
    context: BotContext,
    record: BroadcastRecord,
    consultation: Consultation | None,
    args: list[str],
) -> None:
    assert update.callback_query is not None
    kind, value = args[0], ":".join(args[1:])
    cid = consultation.id if consultation else None
    if kind == "s":
        await _session_menu(update, context, record, consultation, value)
        return
    audience = {
        "all": Audience("all"),
        "c": Audience("consultation"),
        "l": Audience("language", language=value),
        "S": Audience("session", session_id=value),
        "i": Audience("session", session_id=_session_at(consultation, value)),
        "r": Audience("role", role=value),
    }.get(kind)
    if audience is None:
        await out_of_date(update)
        return
    try:
        record = await context.services.broadcasts.set_audience(record, audience, cid)
    except AudienceNotValid:
        await out_of_date(update)
        return
    await update.callback_query.answer()
    text, markup = await draft_card(context.services, record)
    await show(update, context, text, markup)


def _session_at(consultation: Consultation | None, value: str) -> str | None:
    index = parse_id(value)
    if consultation is None or index is None:
        return None
    ordered = sorted(consultation.sessions, key=lambda s: (s.start, s.id))
    return ordered[index].id if index < len(ordered) else None


async def _session_menu(
    update: Update,
    context: BotContext,
    record: BroadcastRecord,
    consultation: Consultation | None,
    page_text: str,
) -> None:
    assert update.callback_query is not None
    wanted = parse_id(page_text)
    if consultation is None or wanted is None:
        await out_of_date(update)
        return
    ordered = sorted(consultation.sessions, key=lambda s: (s.start, s.id))
    pages = max(1, -(-len(ordered) // SESSIONS_PER_PAGE))
    page = min(wanted, pages - 1)
    lang = current_language()
    rows = []
    first = page * SESSIONS_PER_PAGE
    for index, session in enumerate(ordered[first : first + SESSIONS_PER_PAGE], start=first):
        local = session.start.astimezone(consultation.timezone)
        label = f"{day_short(local.date())} {local:%H:%M} · {session.title.get(lang)}"
        data = button_data(record, f"a:S:{session.id}")
        if len(data.encode()) > 64:
            data = button_data(record, f"a:i:{index}")
        rows.append([InlineKeyboardButton(shorten(label, 60), callback_data=data)])
    paging = page_buttons(page, pages, lambda n: button_data(record, f"a:s:{n}"))
    if paging:
        rows.append(paging)
    title = "⭐ <b>" + _("Which session's audience?") + "</b>"
    hint = _("The announcement goes to the delegates who starred it.")
    await _menu(update, context, record, f"{title}\n{hint}", rows)


async def _menu(
    update: Update,
    context: BotContext,
    record: BroadcastRecord,
    text: str,
    rows: list[list[InlineKeyboardButton]],
) -> None:
    """One of the audience screens, in place of the pressed one, with a way back to the draft."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await show(update, context, text, InlineKeyboardMarkup([*rows, [back_button(record)]]))
