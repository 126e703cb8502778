"""Rooms' maps and the consultation's documents on the web pages: what the chat shows and
sends, linked and served from the data directory, and nothing else from it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from bot.i18n import compile_catalogs
from bot.web.site import build_site, standalone
from tests.conftest import ROOT, sample_events

GENEVA = "/c/geneva-2026/"
DATA = ROOT / "data" / "geneva-2026"


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    compile_catalogs()
    events = sample_events()
    client = TestClient(TestServer(standalone(build_site(lambda: events)), host="127.0.0.1"))
    await client.start_server()
    yield client
    await client.close()


async def test_the_rooms_page_shows_a_rooms_map_and_serves_it(client: TestClient) -> None:
    text = await (await client.get(GENEVA + "rooms/?lang=fr")).text()
    assert f'<img src="{GENEVA}rooms/room-2/map" alt="Plan : comment trouver Salle 2"' in text
    # Only the rooms the data gives a map.
    assert f"{GENEVA}rooms/room-1/map" not in text
    answer = await client.get(GENEVA + "rooms/room-2/map")
    assert answer.status == 200
    assert answer.content_type == "image/png"
    assert await answer.read() == (DATA / "room-2.png").read_bytes()
    assert (await client.get(GENEVA + "rooms/room-1/map")).status == 404


async def test_the_documents_page_lists_them_in_the_readers_language(client: TestClient) -> None:
    programme = await (await client.get(GENEVA + "?lang=es")).text()
    assert f'<a href="{GENEVA}documents/?lang=es">Documentos</a>' in programme
    text = await (await client.get(GENEVA + "documents/?lang=es")).text()
    assert "Para toda la consulta" in text
    # The concept note is a file of the data directory: downloaded from here.
    assert f'<a href="{GENEVA}documents/concept-note">Nota conceptual</a>' in text
    # A session's documents are addresses: linked as they are, under their session.
    assert (
        'href="https://example.org/consultations/geneva-2026/climate-mobility-slides.pdf"' in text
    )
    assert "Diapositivas: la movilidad climática en cifras" in text
    arabic = await (await client.get(GENEVA + "documents/?lang=ar")).text()
    assert 'dir="rtl"' in arabic
    assert "المذكرة المفاهيمية" in arabic


async def test_a_document_file_is_served_with_its_type(client: TestClient) -> None:
    answer = await client.get(GENEVA + "documents/concept-note")
    assert answer.status == 200
    assert answer.content_type == "application/pdf"
    assert answer.headers["Content-Disposition"].startswith("inline;")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert await answer.read() == (DATA / "concept-note.pdf").read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "documents/..%2Fsessions.yaml",
        "documents/..%2F..%2F..%2Fpyproject.toml",
        "documents/%2E%2E",
        "documents/../sessions.yaml",
        "documents/concept-note.pdf",  # the file's name is not a document's id
        "documents/sessions.yaml",
        "documents/climate-mobility-slides",  # an address, not a file here
        "rooms/..%2F..%2Fconcept-note.pdf/map",
        "rooms/room-2/..%2F..%2Fsessions.yaml",
    ],
)
async def test_nothing_else_of_the_data_directory_is_served(client: TestClient, path: str) -> None:
    answer = await client.get(URL(GENEVA + path, encoded=True))
    body = await answer.read()
    assert answer.status == 404, path
    assert b"sessions:" not in body
    assert b"%PDF" not in body
