"""The 🔎 Filter menu of the day lists and of /now: what to narrow by, then which value.

Two taps from the Filter button: a dimension present in the consultation's data (track, kind of
session, room, interpretation language), then one of its values, each with how many sessions it
leaves. The chosen filters travel in the buttons' data (bot/services/programme_filters.py).
"""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.handlers.agenda import clear_button, day_data, now_data, read_filters
from bot.handlers.common import out_of_date, page_buttons, required_id, show
from bot.handlers.consultation import pressed_in_consultation
from bot.handlers.formatting import (
    dimension_name,
    esc,
    filter_value,
    filters_line,
    shorten,
)
from bot.i18n import _
from bot.services.event_data import Consultation, Session
from bot.services.programme_filters import (
    CODES,
    KIND,
    LANGUAGE,
    ROOM,
    TRACK,
    Filters,
    counts,
    encode,
    landing_day,
)

# Values shown at once, two to a row, in alphabetical order: FOSDEM's 70-odd tracks or 60
# rooms in one list, one tap away; Telegram takes up to 100 buttons under a message.
VALUES_PER_PAGE = 80
VALUE_TEXT = 28
_DIMENSION_OF = {code: dimension for dimension, code in CODES.items()}


def _prompt(dimension: str) -> str:
    prompts = {
        TRACK: _("Choose a track:"),
        KIND: _("Choose a kind of session:"),
        ROOM: _("Choose a room:"),
        LANGUAGE: _("Choose an interpretation language:"),
    }
    return prompts[dimension]


def _place(where: str, consultation: Consultation) -> date | bool:
    """A list's place in a button: a day of the consultation, or /now (True) and /next
    (False); ValueError when it is no longer one."""
    if where in ("n1", "n0"):
        return where == "n1"
    day = date.fromisoformat(where)
    if day not in consultation.days():
        raise ValueError(where)
    return day


def _list_data(place: date | bool, token: str) -> str:
    if isinstance(place, date):
        return day_data(place, 0, token)
    return now_data(place, 0, token)


def _scope(context: BotContext, consultation: Consultation, place: date | bool) -> list[Session]:
    """The sessions a value's count is taken over: the whole programme for the day lists
    (choosing a value opens the first day it has sessions on, if not this one), what is on or
    to come for /now and /next."""
    if isinstance(place, date):
        return list(consultation.sessions)
    moment = context.services.clock.now()
    return [s for s in consultation.sessions if s.end > moment]


async def _opened(
    update: Update, context: BotContext
) -> tuple[Consultation, list[str], date | bool, Filters] | None:
    """The consultation, the button's data parts, the list's place and filters; None (the
    press answered) when out of date."""
    pressed = await pressed_in_consultation(update, context)
    if pressed is None:
        return None
    _query, data, consultation = pressed
    parts = data.split(":")
    try:
        place = _place(parts[2], consultation)
        filters = read_filters(context, consultation, parts[-1])
    except (ValueError, IndexError):
        await out_of_date(update)
        return None
    return consultation, parts, place, filters


async def filter_menu_button(update: Update, context: BotContext) -> None:
    """ag:f:<where>:<filters>: the dimensions the list can be narrowed by."""
    opened = await _opened(update, context)
    if opened is None or update.callback_query is None:
        return
    consultation, parts, place, filters = opened
    if len(parts) != 4:
        await out_of_date(update)
        return
    await update.callback_query.answer()
    facets = context.services.agenda.facets(consultation)
    token = parts[3]
    lines = ["🔎 <b>" + _("Filter the programme") + "</b>", ""]
    if filters:
        lines += [filters_line(facets, filters), ""]
    lines.append(_("Narrow the list by:"))
    rows = []
    for dimension in facets.dimensions:
        mark = " ✓" if filters.get(dimension) is not None else ""
        rows.append(
            [
                InlineKeyboardButton(
                    dimension_name(dimension) + mark,
                    callback_data=f"ag:v:{parts[2]}:{CODES[dimension]}:0:{token}",
                )
            ]
        )
    back = [
        InlineKeyboardButton("« " + _("Back to the list"), callback_data=_list_data(place, token))
    ]
    if filters:
        back.append(clear_button(_list_data(place, "")))
    rows.append(back)
    await show(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


async def filter_values_button(update: Update, context: BotContext) -> None:
    """ag:v:<where>:<dimension>:<page>:<filters>: the values of one dimension, with how many
    sessions each leaves; a value opens the list narrowed by it (the chosen one, ✓, undoes
    it)."""
    opened = await _opened(update, context)
    if opened is None or update.callback_query is None:
        return
    consultation, parts, place, filters = opened
    try:
        if len(parts) != 6:
            raise ValueError(parts)
        dimension = _DIMENSION_OF[parts[3]]
        page = required_id(parts[4])
    except (ValueError, KeyError):
        await out_of_date(update)
        return
    facets = context.services.agenda.facets(consultation)
    facet = facets.facet(dimension)
    if facet is None:
        await out_of_date(update)
        return
    await update.callback_query.answer()
    token = parts[5]
    found = counts(_scope(context, consultation, place), filters, dimension)
    chosen = filters.get(dimension)
    values = [k for k in facet.keys if found[k] or k == chosen]
    last = max(0, (len(values) - 1) // VALUES_PER_PAGE)
    page = min(page, last)
    shown = values[page * VALUES_PER_PAGE : (page + 1) * VALUES_PER_PAGE]
    lines = [
        "🔎 <b>" + esc(_prompt(dimension)) + "</b>",
        _("Each number counts the sessions of all the days.")
        if isinstance(place, date)
        else _("Each number counts the sessions on now or still to come."),
    ]
    if filters:
        lines += ["", filters_line(facets, filters)]
    if not values:
        lines += ["", _("No session is left to narrow down.")]
    buttons = []
    for key in shown:
        narrowed = filters.with_value(dimension, None if key == chosen else key)
        name = shorten(filter_value(facets, dimension, key), VALUE_TEXT)
        label = f"{'✓ ' if key == chosen else ''}{name} ({found[key]})"
        buttons.append(
            InlineKeyboardButton(
                label, callback_data=_chosen_data(context, consultation, place, narrowed)
            )
        )
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if last:
        rows.append(
            page_buttons(page, last + 1, lambda n: f"ag:v:{parts[2]}:{parts[3]}:{n}:{token}")
        )
    rows.append(
        [
            InlineKeyboardButton("« " + _("Back"), callback_data=f"ag:f:{parts[2]}:{token}"),
        ]
    )
    await show(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


def _chosen_data(
    context: BotContext, consultation: Consultation, place: date | bool, filters: Filters
) -> str:
    """Where a value leads: the list narrowed by it (for a day list, on the first day it has
    sessions on if not this one)."""
    token = encode(filters, context.services.agenda.facets(consultation))
    if isinstance(place, date):
        return day_data(landing_day(consultation, place, filters), 0, token)
    return now_data(place, 0, token)
