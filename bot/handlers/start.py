"""First contact and the delegate's choices: language, consultation; help; deleting one's data."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import replace

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.error import TelegramError

from bot.config import Config
from bot.context import BotContext
from bot.handlers.agenda import show_card
from bot.handlers.common import out_of_date, reply, show
from bot.handlers.consultation import (
    CONSULTATION_PREFIX,
    ask_consultation,
    consultation_keyboard,
)
from bot.handlers.feedback import is_feedback_link, open_feedback_link
from bot.handlers.formatting import esc
from bot.handlers.panel import is_question_link, open_question_link
from bot.i18n import (
    LANGUAGE_NAMES,
    N_,
    SUPPORTED,
    _,
    current_language,
    isolate,
    pick_language,
    set_language,
)
from bot.services.people import Profile

LANG_PREFIX = "lang:"


# Each command once: its entry in Telegram's command menu and its line in /help, in this order.
COMMANDS: tuple[tuple[str, str, str | None], ...] = (
    (
        "agenda",
        N_("Programme by day"),
        N_("the programme day by day; open a session and tap ⭐ to keep it"),
    ),
    ("now", N_("What is on now and next"), N_("what is on now and next")),
    (
        "q",
        N_("Ask the panel of the session on now"),
        N_("ask the panel of the session on now a question, and vote for others' questions"),
    ),
    (
        "speakers",
        N_("The speakers"),
        N_("the speakers, who they are and when they speak"),
    ),
    ("next", N_("The next sessions"), N_("the next sessions")),
    (
        "search",
        N_("Find sessions by subject or speaker"),
        N_("the sessions on some words: /search localization, or a speaker's name"),
    ),
    ("my", N_("My personal agenda"), N_("your personal agenda, with clashes flagged")),
    (
        "calendar",
        N_("My agenda as a calendar file"),
        N_("your agenda as a file for your phone's calendar"),
    ),
    (
        "documents",
        N_("Documents: concept note, slides…"),
        N_("the concept note, slides and other documents of the consultation and its sessions"),
    ),
    ("venue", N_("Venue, map and directions"), N_("the venue on a map, with directions")),
    (
        "rooms",
        N_("Rooms and how to find them"),
        N_("the rooms: where each one is, how to get there and what is on there"),
    ),
    (
        "info",
        N_("Practical information"),
        N_("transport, visas, Wi-Fi, meals, accessibility, safety and more"),
    ),
    (
        "ask_organisers",
        N_("Ask the organisers a question"),
        N_("send a question to the organisers; a person answers"),
    ),
    (
        "feedback",
        N_("Rate the sessions you attended"),
        N_("rate a session in one tap, and add a comment if you like"),
    ),
    (
        "recommend",
        N_("Send a recommendation"),
        N_("send a recommendation on a theme, at any time"),
    ),
    (
        "survey",
        N_("The end-of-consultation survey"),
        N_("the short survey at the end of the consultation"),
    ),
    (
        "myfeedback",
        N_("My feedback, to review or delete"),
        N_("see and delete the feedback you gave"),
    ),
    ("language", N_("Change language"), N_("change language")),
    ("consultation", N_("Change consultation"), N_("change consultation")),
    (
        "settings",
        N_("Reminders and morning digest"),
        N_("reminders before your sessions, and a morning digest"),
    ),
    ("changes", N_("Recent programme changes"), N_("recent changes to the programme")),
    ("help", N_("What I can do"), None),
    ("forget", N_("Delete my data"), N_("delete everything I store about you")),
)

# The same for the commands only moderators (and organisers) may use, after everyone's.
MODERATOR_COMMANDS: tuple[tuple[str, str, str], ...] = (
    (
        "reviews",
        N_("Session feedback and comments"),
        N_("moderators: session feedback, comments and exports"),
    ),
    (
        "dashboard",
        N_("Feedback on a computer"),
        N_("moderators: a one-time link to read feedback, hide comments and export in a browser"),
    ),
)

# And for those only organisers may use; tests/test_help.py checks that every command the bot
# answers is in their /help, so a new organisers' command cannot be left out of it.
ORGANISER_COMMANDS: tuple[tuple[str, str, str], ...] = (
    (
        "broadcast",
        N_("Write an announcement"),
        N_("organisers: an announcement to delegates, in their languages"),
    ),
    (
        "broadcasts",
        N_("Announcements and their delivery"),
        N_("organisers: announcements sent and scheduled, with delivery"),
    ),
    (
        "helpdesk",
        N_("Delegates' open questions"),
        N_("organisers: delegates' open questions, oldest first"),
    ),
    (
        "answer",
        N_("Answer a delegate's question"),
        N_("organisers: answer a question with /answer, its number, then your text"),
    ),
    (
        "gaps",
        N_("Questions I could not answer"),
        N_("organisers: questions I could not answer, and answers voted 👎"),
    ),
    (
        "teach",
        N_("Teach me a delegate's wording"),
        N_("organisers: teach me a delegate's wording of a question listed in /gaps"),
    ),
    (
        "reload",
        N_("Reload the programme"),
        N_("organisers: reload the programme from its files; those affected are told"),
    ),
    (
        "poll",
        N_("Quick poll in a session"),
        N_("organisers: a quick poll to a session's audience, in their languages, with results"),
    ),
    (
        "signups",
        N_("Sign-up lists"),
        N_("organisers: who signed up for sessions with limited seats, and exports"),
    ),
    (
        "chairs",
        N_("A session's chairs and moderators"),
        N_("organisers: name a session's chairs, who approve and pin the audience's questions"),
    ),
    (
        "wall",
        N_("Room screen for a projector"),
        N_("organisers and chairs: a live page of a room's questions and poll for its projector"),
    ),
)


# A session's chairs and moderators (a role per session: sessions.yaml's `chairs`, /chairs) who
# are not organisers: what they run from their chat.
CHAIR_COMMANDS = (
    (
        "poll",
        N_("Quick poll in a session"),
        N_("chairs: a quick poll to the audience of a session you chair, with results"),
    ),
)
# TRANSLATORS: "Chair: questions" is the label of the button, as translated elsewhere.
CHAIR_QUESTIONS = N_(
    "As a chair: in /q, the button “🎙 Chair: questions” lets you approve the audience's "
    "questions, pin the one being asked and mark them answered."
)


def role_commands(
    profile: Profile | None, *, chairs: bool = False
) -> tuple[tuple[str, str, str], ...]:
    """The commands this delegate's roles add to everyone's (`chairs`: they chair a session)."""
    if profile is None:
        return ()
    commands: tuple[tuple[str, str, str], ...] = ()
    if profile.is_moderator:
        commands += MODERATOR_COMMANDS
    if profile.is_organiser:
        commands += ORGANISER_COMMANDS
    elif chairs:
        commands += CHAIR_COMMANDS
    return commands


async def chairs_a_session(context: BotContext) -> bool:
    """Whether the user chairs a session of their consultation (organisers chair them all)."""
    profile, consultation = context.profile, context.consultation
    if profile is None or consultation is None:
        return False
    return await context.services.panel.chairs_any(profile.user_id, consultation.id)


def command_menu(profile: Profile | None = None, *, chairs: bool = False) -> list[BotCommand]:
    """The command menu in the current language, with the commands of `profile`'s roles."""
    everyone = [BotCommand(name, _(menu)) for name, menu, _help in COMMANDS]
    own = role_commands(profile, chairs=chairs)
    return everyone + [BotCommand(name, _(menu)) for name, menu, _h in own]


def mini_app_button(config: Config, lang: str | None = None) -> MenuButtonWebApp | None:
    """The menu button that opens the Mini App (WEB_BASE_URL/app/), labelled in the current
    language, its pages in `lang` when given; None when there is none (no https WEB_BASE_URL:
    Telegram opens https only; or the console chat)."""
    base = config.web_base_url
    if not base or not base.startswith("https://") or config.console:
        return None
    url = f"{base}/app/" + (f"?lang={lang}" if lang else "")
    return MenuButtonWebApp(_("Programme"), WebAppInfo(url))


async def publish_chat_menu(update: Update, context: BotContext) -> None:
    """This chat's command menu and Mini App button: in the delegate's language, with their
    roles' commands."""
    chat = update.effective_chat
    if chat is None:
        return
    # A menu not set is a small loss: the commands themselves work all the same.
    with suppress(TelegramError):
        menu = command_menu(context.profile, chairs=await chairs_a_session(context))
        await context.bot.set_my_commands(menu, scope=BotCommandScopeChat(chat.id))
    button = mini_app_button(context.services.config, current_language())
    if button is not None:
        with suppress(TelegramError):
            await context.bot.set_chat_menu_button(chat_id=chat.id, menu_button=button)


def language_keyboard() -> InlineKeyboardMarkup:
    current = current_language()
    buttons = [
        InlineKeyboardButton(
            ("✅ " if code == current else "") + LANGUAGE_NAMES[code],
            callback_data=f"{LANG_PREFIX}{code}",
        )
        for code in SUPPORTED
    ]
    return InlineKeyboardMarkup([buttons[:2], buttons[2:]])


def main_menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("📅 " + _("Programme"), callback_data="menu:agenda"),
                InlineKeyboardButton("⏱ " + _("Now & next"), callback_data="menu:now"),
            ],
            [
                InlineKeyboardButton("⭐ " + _("My agenda"), callback_data="menu:my"),
                InlineKeyboardButton("ℹ️ " + _("Practical info"), callback_data="menu:info"),
            ],
            [
                InlineKeyboardButton("📍 " + _("Venue"), callback_data="menu:venue"),
                InlineKeyboardButton("🌐 " + _("Language"), callback_data="menu:language"),
            ],
        ]
    )


def welcome_text(context: BotContext, *, returning: bool) -> str:
    name = esc(isolate(context.profile.first_name)) if context.profile else ""
    if returning:
        text = _("Welcome back, {name}!").format(name=name)
    else:
        text = _(
            "Welcome, {name}! I am the assistant of the IOM–NGO Humanitarian Consultations. "
            "I can show you the programme, keep your personal agenda, send it to your "
            "calendar and answer practical questions."
        ).format(name=name)
    consultation = context.consultation
    if consultation is not None:
        text += "\n\n" + _("Your consultation: <b>{name}</b>").format(
            name=esc(consultation.name.get(current_language()))
        )
        if consultation.sample:
            text += "\n" + _("<i>This bot is running on sample data for demonstration.</i>")
    return text


# /start s_<session id>: the deep link of a session's web page (bot/web).
SESSION_LINK = "s_"


async def start(update: Update, context: BotContext) -> None:
    """/start: greet in the client's language, offer the language picker, then the consultation."""
    user = update.effective_user
    profile = context.profile
    if user is None or profile is None:
        return
    if context.args and is_feedback_link(context.args[0]):
        await open_feedback_link(update, context, context.args[0])
        return
    if context.args and is_question_link(context.args[0]):
        await open_question_link(update, context, context.args[0])
        return
    if context.args and context.args[0].startswith(SESSION_LINK) and profile.language:
        # "Open in Telegram" on a web page: the session's card, to star it (a delegate new to
        # the bot gets the welcome first, their language and consultation to choose).
        consultation = context.consultation
        session = (
            consultation.session(context.args[0][len(SESSION_LINK) :]) if consultation else None
        )
        if consultation is not None and session is not None:
            await show_card(update, context, consultation, session)
            return
    returning = profile.language is not None
    if not returning:
        language = pick_language(user.language_code)
        await context.services.people.set_language(user.id, language)
        set_language(language)
    await reply(update, context, welcome_text(context, returning=returning), main_menu())
    if not returning:
        await reply(
            update,
            context,
            _("I will talk to you in English. Tap another language to switch:"),
            language_keyboard(),
        )
    if role_commands(profile):
        await publish_chat_menu(update, context)
    if context.consultation is None:
        await ask_consultation(update, context)


async def choose_language(update: Update, context: BotContext) -> None:
    """/language: the language picker."""
    await show(update, context, _("Choose your language:"), language_keyboard())


async def set_language_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    user = update.effective_user
    if query is None or query.data is None or user is None:
        return
    code = query.data.removeprefix(LANG_PREFIX)
    if code not in SUPPORTED:
        await out_of_date(update)
        return
    await context.services.people.set_language(user.id, code)
    set_language(code)
    await query.answer()
    await show(
        update,
        context,
        _("Done: I will talk to you in English.") + "\n" + _("Use /help to see what I can do."),
        language_keyboard(),
    )
    # This chat's menu follows the chosen language, whatever the client's language.
    await publish_chat_menu(update, context)
    if context.consultation is None:
        await ask_consultation(update, context)


async def choose_consultation(update: Update, context: BotContext) -> None:
    """/consultation: pick the consultation you attend."""
    await show(
        update,
        context,
        _("Which consultation are you attending?"),
        consultation_keyboard(context),
    )


async def set_consultation_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    user = update.effective_user
    if query is None or query.data is None or user is None or context.profile is None:
        return
    consultation = context.services.events.get(query.data.removeprefix(CONSULTATION_PREFIX))
    if consultation is None:
        await out_of_date(update)
        return
    await context.services.people.set_consultation(user.id, consultation.id)
    context.profile = replace(context.profile, consultation_id=consultation.id)
    await query.answer()
    text = _("You are set for <b>{name}</b>. What would you like to see?").format(
        name=esc(consultation.name.get(current_language()))
    )
    await show(update, context, text, main_menu())


async def show_help(update: Update, context: BotContext) -> None:
    """/help: everything, briefly."""
    lines = ["<b>" + _("What I can do") + "</b>", ""]
    lines += [f"/{name} — {_(text)}" for name, _menu, text in COMMANDS if text]
    chairs = await chairs_a_session(context)
    roles = role_commands(context.profile, chairs=chairs)
    if roles:
        lines.append("")
        lines += [f"/{name} — {_(text)}" for name, _menu, text in roles]
    if chairs:
        lines += ["", "🎙 " + _(CHAIR_QUESTIONS)]
    lines += ["", _("Times are shown in the consultation's local time.")]
    await reply(update, context, "\n".join(lines), main_menu())
    if roles:
        # Roles are granted while the bot runs: their holders' menu is brought up to date here.
        await publish_chat_menu(update, context)


async def forget(update: Update, context: BotContext) -> None:
    """/forget: ask before deleting the delegate's data."""
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("🗑 " + _("Yes, delete my data"), callback_data="forget:yes"),
                InlineKeyboardButton(_("No, keep it"), callback_data="forget:no"),
            ]
        ]
    )
    await reply(
        update,
        context,
        _(
            "This deletes everything I store about you: your language and consultation "
            "choices, your personal agenda, reminders and settings, your feedback, survey "
            "answers and recommendations, and your questions to the organisers. Are you sure?"
        ),
        keyboard,
    )


async def forget_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    await query.answer()
    if query.data == "forget:yes":
        await context.services.people.forget(user.id)
        await show(
            update,
            context,
            _("Your data has been deleted. Send /start if you want to use the bot again."),
        )
    else:
        await show(update, context, _("Nothing was deleted."))
