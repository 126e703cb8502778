"""What the Dockerfile, docker-compose.yml, constraints.txt, the README and CI must agree on.

Docker cannot run here: these read the files for the links between them that would otherwise
break silently (a health check naming no command, data mounted where the bot does not look, a
dependency added to pyproject.toml but not pinned, CI running another command than the README).
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.__main__ import build_parser
from bot.config import Config

ROOT = Path(__file__).resolve().parent.parent


def dockerfile() -> str:
    # Continuation lines joined: one instruction a line.
    return (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")


def instruction(name: str) -> list[str]:
    return [
        line.split(None, 1)[1]
        for line in dockerfile().splitlines()
        if line.split(None, 1)[:1] == [name]
    ]


def service() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    bot: dict[str, Any] = compose["services"]["bot"]
    return bot


def image_env() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in instruction("ENV"):
        found.update(dict(re.findall(r"(\w+)=(\S+)", line)))
    return found


def readme_command(marker: str) -> str:
    """The line of the README's two commands that runs `marker`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## The two commands", 1)[1].split("```", 2)[1]
    (line,) = (line for line in block.splitlines() if line.rstrip().endswith(marker))
    return line.strip()


def test_ci_runs_the_readmes_test_command() -> None:
    command = readme_command(".venv/bin/python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command in ci


def test_the_test_command_installs_the_browser_first() -> None:
    """The browser tests fail without Chromium (they never skip): the command installs it."""
    command = readme_command(".venv/bin/python -m pytest")
    assert command.startswith(".ci/browser && ")
    assert (ROOT / ".ci" / "browser").stat().st_mode & 0o111


def test_every_install_takes_the_pinned_versions() -> None:
    assert "-c constraints.txt" in readme_command(".venv/bin/python -m bot")
    assert "-c constraints.txt" in readme_command(".venv/bin/python -m pytest")
    (install,) = (line for line in instruction("RUN") if "pip install" in line)
    assert "pip install -c constraints.txt ." in install
    assert any("constraints.txt" in line for line in instruction("COPY"))


def test_constraints_pin_every_dependency_within_its_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pinned: dict[str, str] = {}
    for raw in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pinned[canonicalize_name(name)] = version
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    for requirement in map(Requirement, wanted):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is not in constraints.txt: refresh it"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{name}=={pinned[name]} is outside pyproject.toml's {requirement.specifier}"
        )


def test_the_base_image_is_pinned() -> None:
    (base,) = instruction("FROM")
    assert re.fullmatch(r"python:3\.12\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", base), base


def test_docker_checks_health_with_the_health_command() -> None:
    (check,) = instruction("HEALTHCHECK")
    command = json.loads(check.split(" CMD ", 1)[1])
    assert command == ["python", "-m", "bot", "health"]
    assert service()["healthcheck"]["test"] == ["CMD", *command]
    # The image's entry point is `python -m bot`: the command must be one of its commands.
    assert build_parser().parse_args(command[3:]).command == "health"


def test_compose_mounts_the_event_data_read_only_where_the_bot_reads_it() -> None:
    bot = service()
    environment = bot["environment"]
    assert environment["DATA_DIR"] == image_env()["DATA_DIR"] == "/app/data"
    assert "./data:/app/data:ro" in bot["volumes"]
    # The database and the key on their volumes, whatever .env leaves empty (.env.example
    # leaves ANONYMITY_KEY_FILE empty: the key would go under /app, where the bot cannot write).
    volumes = {entry.split(":")[1] for entry in bot["volumes"]}
    for setting in ("DATABASE_PATH", "ANONYMITY_KEY_FILE"):
        assert environment[setting] == image_env()[setting]
        assert str(Path(environment[setting]).parent) in volumes


def test_the_web_pages_port_is_exposed_and_mapped() -> None:
    """In long polling the pages listen on WEB_PORT: the image exposes it, compose maps it."""
    port = str(Config.web_port)
    exposed = {word for line in instruction("EXPOSE") for word in line.split()}
    assert {"8080", port} <= exposed
    bot = service()
    assert bot["environment"]["WEB_PORT"] == port
    assert f"127.0.0.1:{port}:{port}" in bot["ports"]
