"""Speakers as data: speakers.yaml checked, speaker cards from a session card and from "who is
X" in four languages, their photo uploaded once then sent by file_id, /speakers, and the
importers filling speakers.yaml from the exports' persons."""

from __future__ import annotations

import shutil
import struct
import zlib
from datetime import date
from pathlib import Path

import pytest
from babel.dates import format_skeleton

from bot.__main__ import main
from bot.app import running
from bot.clock import ManualClock
from bot.fakeapi.spec import Upload
from bot.services.data_reading import EventDataError
from bot.services.event_data import Speaker, load_event_data
from bot.services.importing import apply_import, plan_import
from bot.services.speakers import SpeakerNames, alphabetical
from tests.conftest import (
    GENEVA_ID,
    ROOT,
    Chat,
    Harness,
    build_harness,
    geneva,
    joined,
    make_config,
    on_data,
)
from tests.import_support import CONGRESS, PRETALX, make_consultation

LANGUAGES = ("en", "fr", "es", "ar")


def copy_geneva(tmp_path: Path) -> Path:
    """A copy of the Geneva sample consultation to change; returns its directory."""
    directory = tmp_path / "data" / GENEVA_ID
    shutil.copytree(ROOT / "data" / GENEVA_ID, directory)
    return directory


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, fragment: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if fragment in line)


def png() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x80\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


async def one_consultation_chat(harness: Harness, lang: str = "en", user_id: int = 1001) -> Chat:
    """A delegate of a bot serving one consultation: theirs without asking."""
    chat = harness.chat(user_id, lang)
    await chat.send("/start")
    return chat


def short_day(day: date, lang: str) -> str:
    return format_skeleton("MMMEd", day, locale=lang)


# --- The data: speakers.yaml and the sessions naming speakers by id -------------------------


def test_check_refuses_an_unknown_speaker_id_and_suggests_the_nearest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = copy_geneva(tmp_path)
    sessions = directory / "sessions.yaml"
    replace_in(sessions, "[ingrid-solberg, kwame-asante-mensah,", "[ingrid-solbreg, kwame,")
    # The name written where the id goes is recognised too.
    replace_in(sessions, "[emilie-laurent,", "[Émilie Laurent,")
    assert main(["check", str(tmp_path / "data")]) == 1
    err = capsys.readouterr().err
    opening = line_of(sessions, "[ingrid-solbreg")
    assert (
        f"sessions.yaml:{opening} [sessions #2 id=opening speaker #1]: no speaker has the id "
        "'ingrid-solbreg' in speakers.yaml; did you mean 'ingrid-solberg' (Ingrid Solberg)?"
    ) in err
    assert "[sessions #2 id=opening speaker #2]: no speaker has the id 'kwame'" in err
    panel = line_of(sessions, "[Émilie Laurent")
    assert (
        f"sessions.yaml:{panel} [sessions #4 id=principles-partnership speaker #1]: "
        "no speaker has the id 'Émilie Laurent' in speakers.yaml; did you mean "
        "'emilie-laurent' (Émilie Laurent)?"
    ) in err


def test_a_speaker_id_without_speakers_yaml_says_where_to_write_the_card(
    tmp_path: Path,
) -> None:
    directory = copy_geneva(tmp_path)
    (directory / "speakers.yaml").unlink()
    with pytest.raises(EventDataError) as caught:
        load_event_data(tmp_path / "data")
    first = str(caught.value.problems[0])
    assert "no speaker has the id 'ingrid-solberg': there is no speakers.yaml" in first
    assert "'- name: ...'" in first


def test_speakers_yaml_problems_name_file_line_and_place(tmp_path: Path) -> None:
    directory = copy_geneva(tmp_path)
    (directory / "photos").mkdir()
    (directory / "photos" / "ingrid.png").write_bytes(png())
    (directory / "photos" / "notes.png").write_bytes(b"not a picture at all")
    with (directory / "photos" / "huge.jpg").open("wb") as huge:
        huge.write(b"\xff\xd8\xff\xe0")
        huge.truncate(10 * 1024 * 1024 + 1)  # sparse: 10 MB and one byte
    (tmp_path / "outside.png").write_bytes(png())
    speakers = directory / "speakers.yaml"
    replace_in(
        speakers,
        "  - id: ingrid-solberg\n",
        "  - id: ingrid-solberg\n    photo: photos/ingrid.png\n    links: [https://example.org/is]\n",
    )
    replace_in(
        speakers, "  - id: bilal-qureshi\n", "  - id: bilal-qureshi\n    photo: photos/notes.png\n"
    )
    replace_in(
        speakers,
        "  - id: daniel-achterberg\n",
        "  - id: daniel-achterberg\n    photo: photos/huge.jpg\n",
    )
    replace_in(
        speakers,
        "  - id: farida-rahimi\n",
        "  - id: farida-rahimi\n    photo: ../../outside.png\n",
    )
    replace_in(
        speakers, "  - id: hana-tesfaye\n", "  - id: hana-tesfaye\n    photo: photos/missing.jpg\n"
    )
    replace_in(
        speakers,
        "  - id: karim-benali\n",
        "  - id: karim-benali\n    links: [example.org/karim, 'ftp://example.org/k']\n",
    )
    replace_in(
        speakers,
        "        Sofía dirige un foyer",
        "        " + "Très long. " * 100 + "Sofía dirige un foyer",
    )
    with pytest.raises(EventDataError) as caught:
        load_event_data(tmp_path / "data")
    problems = [str(p) for p in caught.value.problems]

    def said(ident: str, fragment: str, message: str, *, above: int = 0) -> None:
        line = line_of(speakers, fragment) - above
        assert any(
            f"speakers.yaml:{line} [speakers #" in p and f" id={ident}]: {message}" in p
            for p in problems
        ), (ident, message, problems)

    said("bilal-qureshi", "photos/notes.png", "'photo': photos/notes.png is not a JPEG or PNG")
    said(
        "daniel-achterberg", "photos/huge.jpg", "'photo': photos/huge.jpg is 10.0 MB; it must hold"
    )
    said("farida-rahimi", "outside.png", "'photo' must name a file inside geneva-2026/")
    said("hana-tesfaye", "missing.jpg", "'photo': there is no file photos/missing.jpg")
    said("karim-benali", "example.org/karim", "link 'example.org/karim' must be a web address")
    said("karim-benali", "example.org/karim", "link 'ftp://example.org/k' must be a web")
    said("sofia-alvarado", "Très long", "'bio.fr' is 1,", above=1)  # the line of `fr: >-`
    assert len(problems) == 7, problems  # the good photo and link are fine


def test_inline_speakers_are_still_accepted_as_speakers_without_a_card(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = copy_geneva(tmp_path)
    replace_in(
        directory / "sessions.yaml",
        "[ingrid-solberg, kwame-asante-mensah, farida-rahimi]",
        "\n      - name: Amina Yusuf\n        affiliation: {en: Local NGO}\n"
        "      - name: Kwame Asante-Mensah\n      - farida-rahimi",
    )
    opening = load_event_data(tmp_path / "data").consultations[GENEVA_ID].session("opening")
    assert opening is not None
    amina, kwame, farida = opening.speakers
    assert (amina.name, amina.id, amina.affiliation and amina.affiliation.get("fr")) == (
        "Amina Yusuf",
        None,
        "Local NGO",
    )
    assert farida.id == "farida-rahimi"
    # Someone with a card named inline is probably a slip: `check` says so, and still accepts.
    assert main(["check", str(tmp_path / "data")]) == 0
    err = capsys.readouterr().err
    assert (
        "Warning: geneva-2026/sessions.yaml [id=opening]: Kwame Asante-Mensah is named inline, "
        "so shown without the card speakers.yaml has for them: name them by id "
        "('kwame-asante-mensah')"
    ) in err
    assert kwame.id is None


def test_names_are_found_despite_accents_typos_and_with_one_name_alone() -> None:
    names = SpeakerNames(geneva().speakers)

    def found(question: str) -> list[str]:
        return [s.name for s in names.asked(question)]

    assert found("who is Emilie Laurent?") == ["Émilie Laurent"]
    assert found("¿quién es Tomas Ferriera?") == ["Tomás Ferreira"]
    assert found("qui est Solberg") == ["Ingrid Solberg"]
    assert found("من هو Kwame Asante Mensah؟") == ["Kwame Asante-Mensah"]
    assert found("Ingrid Solberg") == ["Ingrid Solberg"]  # only the name: the card
    assert found("who is the director general of IOM") == []
    assert found("qui est le président de la france") == []
    assert found("who is speaking at the closing") == []
    assert found("when does Ingrid Solberg speak") == []  # the sessions answer that
    solbergs = SpeakerNames(
        [Speaker("Ingrid Solberg", id="ingrid"), Speaker("Henrik Solberg", id="henrik")]
    )
    assert [s.id for s in solbergs.asked("who is Solberg")] == ["ingrid", "henrik"]
    assert [s.id for s in solbergs.asked("who is Henrik Solbreg")] == ["henrik"]


# --- Speaker cards ----------------------------------------------------------------------------

ROLE = {
    "en": "Executive Director",
    "fr": "Directeur exécutif",
    "es": "Director ejecutivo",
    "ar": "المدير التنفيذي",
}
BIO = {
    "en": "led a refugee-support NGO in Ghana",
    "fr": "a dirigé pendant dix ans une ONG",
    "es": "dirigió durante diez años una ONG",
    "ar": "قاد كوامي منظمة غير حكومية",
}
SPEAKS_AT = {"en": "Speaks at:", "fr": "Intervient à :", "es": "Interviene en:", "ar": "الجلسات:"}


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_session_card_opens_each_speakers_card_with_all_their_sessions(
    harness: Harness, lang: str
) -> None:
    chat = await joined(harness, lang)
    await chat.send("/agenda")
    await chat.press_data(chat.last.message_id, "ag:s:opening")
    labels = [b["text"] for row in chat.last.buttons() for b in row]
    assert [label for label in labels if label.startswith("🎤")] == [
        "🎤 Ingrid Solberg",
        "🎤 Kwame Asante-Mensah",
        "🎤 Farida Rahimi",
    ]
    await chat.press("Kwame Asante-Mensah")
    card = chat.text()
    assert "Kwame Asante-Mensah" in card
    kwame = geneva().speaker("kwame-asante-mensah")
    assert kwame is not None
    assert kwame.affiliation is not None
    assert f"{ROLE[lang]} · {kwame.affiliation.get(lang)}" in card
    assert BIO[lang] in card
    assert "https://example.org/icva/team" in card
    assert SPEAKS_AT[lang] in card
    # Every session of his, each with its day: the list spans both days.
    sessions = geneva().sessions_of(kwame)
    assert [s.id for s in sessions] == ["opening", "report-back", "closing"]
    for session in sessions:
        day = short_day(session.start.date(), lang)
        assert f"{day} · " in card
        assert session.title.get(lang) in card
    buttons = [b for row in chat.last.buttons() for b in row]
    back = [b for b in buttons if b["callback_data"].startswith("ag:s:")]
    assert [b["callback_data"] for b in back] == [f"ag:s:{s.id}" for s in sessions]
    assert all(
        b["text"].startswith(short_day(s.start.date(), lang))
        for b, s in zip(back, sessions, strict=True)
    )
    # Back to a session card from the speaker's.
    closing = sessions[-1]
    await chat.press_data(chat.last.message_id, f"ag:s:{closing.id}")
    assert closing.title.get(lang) in chat.text()
    assert "Kwame Asante-Mensah" in chat.text()


async def test_a_speaker_whose_sessions_are_on_one_day_gets_buttons_without_the_day(
    harness: Harness,
) -> None:
    chat = await joined(harness)
    await chat.send("who is Priya Raghavan")
    priya = geneva().speaker("priya-raghavan")
    assert priya is not None
    (session,) = geneva().sessions_of(priya)
    assert f"{short_day(session.start.date(), 'en')} · " in chat.text()
    (button,) = [
        b for row in chat.last.buttons() for b in row if b["callback_data"] == f"ag:s:{session.id}"
    ]
    assert button["text"].startswith(session.start.strftime("%H:%M"))


@pytest.mark.parametrize(
    ("lang", "question", "name", "role"),
    [
        ("en", "who is Ingrid Solberg?", "Ingrid Solberg", "Director, Department of Partnerships"),
        ("fr", "qui est emilie laurent ?", "Émilie Laurent", "Responsable des politiques"),
        ("es", "¿quién es Tomas Ferriera?", "Tomás Ferreira", "Oficial superior de alianzas"),
        ("ar", "من هي Samira Haddad؟", "Samira Haddad", "مسؤولة أولى عن الحماية"),
        ("ar", "مين Solberg", "Ingrid Solberg", "مديرة إدارة الشراكات"),
        ("fr", "C'est qui Achterberg?", "Daniel Achterberg", "Spécialiste de la mobilité"),
    ],
)
async def test_who_is_x_answers_with_the_speakers_card(
    harness: Harness, lang: str, question: str, name: str, role: str
) -> None:
    chat = await joined(harness, lang)
    await chat.send(question)
    card = chat.text()
    assert card.startswith(f"🎤 {name}") or card.startswith(f"🎤 \u2068{name}\u2069")
    assert role in card
    assert SPEAKS_AT[lang] in card
    labels = [b["text"] for row in chat.last.buttons() for b in row]
    assert "👍" in labels  # an answer like any other, to be voted on


async def test_who_speaks_at_a_session_still_gets_the_session(harness: Harness) -> None:
    chat = await joined(harness)
    await chat.send("who speaks at the opening?")
    assert "Opening plenary" in chat.text()
    assert "🎤 Ingrid Solberg" in [b["text"] for row in chat.last.buttons() for b in row]


async def test_speakers_lists_them_alphabetically_page_by_page(harness: Harness) -> None:
    chat = await joined(harness, "fr")
    await chat.send("/speakers")
    ordered = [s.name for s in alphabetical(geneva())]
    assert ordered[:3] == ["Adwoa Mensimah Boateng", "Aisha Bello Garba", "Bilal Qureshi"]
    assert ordered.index("Émilie Laurent") < ordered.index("Farida Rahimi")
    first = chat.text()
    assert first.startswith("👥 Intervenantes et intervenants")
    assert "Page 1 sur 3" in first
    assert "Adwoa Mensimah Boateng — Directrice technique · Tech for Displaced" in first
    names = [b["text"].removeprefix("🎤 ") for row in chat.last.buttons() for b in row]
    assert names[:10] == ordered[:10]
    await chat.press("▶")
    await chat.press("▶")
    last = chat.text()
    assert "Page 3 sur 3" in last
    assert ordered[-1] in last
    assert ordered[0] not in last
    await chat.press(ordered[-1])
    assert chat.text().startswith(f"🎤 {ordered[-1]}")


# --- Photos -----------------------------------------------------------------------------------


@pytest.fixture
def photo_data(tmp_path: Path) -> Path:
    directory = copy_geneva(tmp_path)
    (directory / "photos").mkdir()
    (directory / "photos" / "ingrid.png").write_bytes(png())
    replace_in(
        directory / "speakers.yaml",
        "  - id: ingrid-solberg\n",
        "  - id: ingrid-solberg\n    photo: photos/ingrid.png\n",
    )
    return tmp_path / "data"


def photos_sent(harness: Harness) -> list[object]:
    return [c.params["photo"] for c in harness.api.calls if c.method == "sendPhoto" and c.ok]


async def open_card(chat: Chat, way: str) -> None:
    if way == "question":
        await chat.send("who is Ingrid Solberg?")
    else:
        await chat.send("/speakers")
        await chat.press("Ingrid Solberg")


async def test_a_photo_is_uploaded_once_then_sent_by_its_file_id(
    tmp_path: Path, clock: ManualClock, photo_data: Path
) -> None:
    async with on_data(tmp_path, clock, photo_data) as first:
        amina = await one_consultation_chat(first, "fr")
        await open_card(amina, "question")
        photo, card = amina.messages[-2:]
        assert photo.kind == "photo"
        assert photo.photo is not None
        assert photo.photo.content == png()
        assert (photo.plain_text() or "") == "Ingrid Solberg"
        assert "Directrice du Département des partenariats" in (card.plain_text() or "")
        other = await one_consultation_chat(first, "es", user_id=1002)
        await open_card(other, "list")
        assert other.messages[-2].kind == "photo"
        sent = photos_sent(first)
        assert isinstance(sent[0], Upload)
        assert sent[1] == photo.photo.file_id  # the second time, by file_id
    # After a restart the file_id is read back from the database: no second upload.
    async with on_data(tmp_path, clock, photo_data, api=first.api) as second:
        await open_card(second.chat(1001, "fr"), "question")
    assert photos_sent(second)[-1] == photo.photo.file_id
    assert sum(isinstance(p, Upload) for p in photos_sent(second)) == 1


async def test_a_file_id_telegram_refuses_is_replaced_by_a_new_upload(
    tmp_path: Path, clock: ManualClock, photo_data: Path
) -> None:
    async with on_data(tmp_path, clock, photo_data) as first:
        await open_card(await one_consultation_chat(first), "question")
    # Another Bot API (another bot token, say) knows none of the first one's files.
    config = make_config(tmp_path, data_dir=photo_data)
    second = build_harness(config, clock, load_event_data(photo_data))
    async with running(second.app):
        chat = second.chat(1001, "en")
        await open_card(chat, "question")
        assert chat.messages[-2].kind == "photo"
        assert isinstance(photos_sent(second)[-1], Upload)
        await open_card(chat, "question")
        again = chat.messages[-2].photo
        assert again is not None
        assert photos_sent(second)[-1] == again.file_id
    # The one refusal: the first bot's file_id, tried once and then forgotten.
    (refused,) = second.errors()
    assert refused.startswith("sendPhoto: ")


# --- Importers --------------------------------------------------------------------------------


def test_pretalx_persons_fill_speakers_yaml_with_their_bios(tmp_path: Path) -> None:
    make_consultation(tmp_path, "democon", "Europe/Berlin", date(2020, 12, 14), date(2020, 12, 16))
    apply_import(plan_import(tmp_path, "democon", PRETALX))
    written = (tmp_path / "democon" / "speakers.yaml").read_text(encoding="utf-8")
    assert "avatar" not in written
    consultation = load_event_data(tmp_path).consultations["democon"]
    assert len(consultation.speakers) == 27  # each person once
    brian = consultation.speaker("brian-robinson")
    assert brian is not None
    assert brian.name == "Brian Robinson"
    assert brian.bio is not None
    assert brian.bio.get("en").startswith("Break through direction.")
    assert [s.id for s in consultation.sessions_of(brian)] == ["e-25"]
    pair = next(
        s
        for s in consultation.sessions
        if [p.name for p in s.speakers] == ["Maria Williams", "Mariah Estrada"]
    )
    assert [p.id for p in pair.speakers] == ["maria-williams", "mariah-estrada"]
    sessions_text = (tmp_path / "democon" / "sessions.yaml").read_text(encoding="utf-8")
    assert "- maria-williams" in sessions_text


def test_frab_xml_persons_become_speakers_named_by_id(tmp_path: Path) -> None:
    make_consultation(
        tmp_path, "congress", "Europe/Berlin", date(2014, 12, 27), date(2014, 12, 30)
    )
    apply_import(plan_import(tmp_path, "congress", CONGRESS))
    consultation = load_event_data(tmp_path).consultations["congress"]
    opening = consultation.session("e-6561")
    assert opening is not None
    assert [(s.id, s.name) for s in opening.speakers] == [
        ("erdgeist", "erdgeist"),
        ("geraldine-de-bastion", "Geraldine de Bastion"),
    ]
    erdgeist = consultation.speaker("erdgeist")
    assert erdgeist is not None
    assert len(consultation.sessions_of(erdgeist)) > 1  # one card for all their talks


def test_a_reimport_keeps_what_organisers_added_to_a_speakers_card(tmp_path: Path) -> None:
    make_consultation(tmp_path, "democon", "Europe/Berlin", date(2020, 12, 14), date(2020, 12, 16))
    apply_import(plan_import(tmp_path, "democon", PRETALX))
    speakers = tmp_path / "democon" / "speakers.yaml"
    (tmp_path / "democon" / "brian.png").write_bytes(png())
    replace_in(
        speakers,
        "- id: brian-robinson\n  name: Brian Robinson\n",
        "- id: brian-robinson\n  name: Brian Robinson\n  role: {en: Keynote, fr: Ouverture}\n"
        "  photo: brian.png\n  links: [https://example.org/brian]\n",
    )
    replace_in(speakers, "- id: jordan-parks\n", "- id: jordan-parks\n  organisation: Acme\n")
    plan = plan_import(tmp_path, "democon", PRETALX)
    apply_import(plan)
    brian = load_event_data(tmp_path).consultations["democon"].speaker("brian-robinson")
    assert brian is not None
    assert brian.role is not None
    assert brian.role.get("fr") == "Ouverture"
    assert brian.photo == tmp_path / "democon" / "brian.png"
    assert brian.links == ("https://example.org/brian",)
    assert brian.bio is not None
    jordan = load_event_data(tmp_path).consultations["democon"].speaker("jordan-parks")
    assert jordan is not None
    assert jordan.affiliation is not None
    assert jordan.affiliation.get("en") == "Acme"


def test_a_spreadsheets_speakers_column_gives_names_and_organisations(tmp_path: Path) -> None:
    directory = make_consultation(
        tmp_path, "geneva", "Europe/Zurich", date(2026, 12, 8), date(2026, 12, 9)
    )
    # A card the organisers wrote before: the spreadsheet names her by id.
    (directory / "speakers.yaml").write_text(
        "speakers:\n  - id: ingrid-solberg\n    name: Ingrid Solberg\n    role: Director\n",
        encoding="utf-8",
    )
    sheet = tmp_path / "programme.csv"
    sheet.write_text(
        "day,start,end,title,speakers\n"
        "2026-12-08,09:00,10:00,Opening,Lina Haddad (Amel); Ana Torres; ingrid-solberg\n"
        "2026-12-09,09:00,10:00,Closing,Lina Haddad\n",
        encoding="utf-8",
    )
    apply_import(plan_import(tmp_path, "geneva", sheet))
    consultation = load_event_data(tmp_path).consultations["geneva"]
    lina = consultation.speaker("lina-haddad")
    assert lina is not None
    assert lina.affiliation is not None
    assert lina.affiliation.get("en") == "Amel"
    assert [s.title.get("en") for s in consultation.sessions_of(lina)] == ["Opening", "Closing"]
    assert [s.id for s in consultation.speakers] == ["ingrid-solberg", "lina-haddad", "ana-torres"]
    ingrid = consultation.speaker("ingrid-solberg")
    assert ingrid is not None
    assert (ingrid.name, ingrid.role and ingrid.role.get("en")) == ("Ingrid Solberg", "Director")
    assert [s.title.get("en") for s in consultation.sessions_of(ingrid)] == ["Opening"]
