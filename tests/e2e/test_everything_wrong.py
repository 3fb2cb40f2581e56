"""Portcullis in front of `mcp-server-everything-wrong` (PyPI), a server written to show what a
malicious MCP server does: tool descriptions with hidden instructions (`joke_teller`,
`shadowing_attack`, and `echo` through its `debug` parameter), a tool that rewrites its own
description after its first call (`greet`), and a tool that dumps the environment (`env_var`).

Reached directly every one of them comes through (the control tests); through Portcullis the
poisoned tools are not offered, `greet` is held back once it changed, and the dumped environment
has its token redacted.

The server is written for the 1.x MCP SDK (`mcp.server.fastmcp`), which cannot share an
environment with the 2.x client SDK these tests use: it gets a virtual environment of its own,
made on first use (`EVERYTHING_WRONG_VENV`, by default `.venv-wrong` beside this file).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp.shared.exceptions import MCPError

from conftest import (
    E2E_DIR,
    FAKE_GITHUB_TOKEN,
    Connection,
    World,
    assert_quarantined,
    connect,
    direct_params,
    dump,
    portcullis_params,
    text_of,
)

# Making the virtual environment the first time takes a while; after that each test is quick.
pytestmark = [pytest.mark.timeout(300)]

SERVER_NAME = "everything-wrong"
VENV = Path(os.environ.get("EVERYTHING_WRONG_VENV") or E2E_DIR / ".venv-wrong")
REQUIREMENTS = ["mcp-server-everything-wrong==0.2.1", "mcp==1.30.0"]
POISONED = ["joke_teller", "shadowing_attack", "echo"]
# The server dumps its environment: it holds a token.
SERVER_ENV = {"GITHUB_TOKEN": FAKE_GITHUB_TOKEN}


@pytest.fixture(scope="module")
def server_cmd() -> list[str]:
    """The server's command, installed into its own virtual environment unless it already is
    (with the same requirements, recorded in the environment)."""
    server = VENV / "bin" / "mcp-server-everything-wrong"
    stamp = VENV / "portcullis-requirements.txt"
    wanted = "\n".join(REQUIREMENTS) + "\n"
    if not (server.exists() and stamp.is_file() and stamp.read_text() == wanted):
        for step in (
            [sys.executable, "-m", "venv", "--clear", str(VENV)],
            [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *REQUIREMENTS],
        ):
            proc = subprocess.run(step, capture_output=True, text=True, timeout=240, check=False)
            if proc.returncode != 0:
                pytest.fail(f"{' '.join(step)} failed:\n{proc.stdout}{proc.stderr}", pytrace=False)
        stamp.write_text(wanted)
        (VENV / ".gitignore").write_text("*\n")  # as Python 3.13's venv does: never committed
    return [str(server)]


@pytest.fixture(scope="module")
def wrong(world: World, tmp_path_factory: pytest.TempPathFactory, server_cmd: list[str]) -> Iterator[Connection]:
    logs = tmp_path_factory.mktemp("everything-wrong-logs")
    params = portcullis_params(world, server_cmd, name=SERVER_NAME, env_extra=SERVER_ENV)
    with connect(params, logs / "portcullis.stderr") as conn:
        yield conn


@pytest.fixture(scope="module")
def wrong_direct(world: World, tmp_path_factory: pytest.TempPathFactory, server_cmd: list[str]) -> Iterator[Connection]:
    logs = tmp_path_factory.mktemp("everything-wrong-direct-logs")
    with connect(direct_params(world, server_cmd, env_extra=SERVER_ENV), logs / "server.stderr") as conn:
        yield conn


def tool_names(conn: Connection) -> list[str]:
    return [tool.name for tool in conn.session.list_tools().tools]


def greet_description(conn: Connection) -> str | None:
    return next((t.description for t in conn.session.list_tools().tools if t.name == "greet"), None)


# --- poisoned descriptions ---------------------------------------------------------------------


def test_control_direct_lists_poisoned_tools(wrong_direct: Connection) -> None:
    assert {*POISONED, "greet", "env_var"} <= set(tool_names(wrong_direct))


def test_poisoned_tools_are_not_listed(wrong: Connection, wrong_direct: Connection) -> None:
    assert tool_names(wrong) == [name for name in tool_names(wrong_direct) if name not in POISONED]


@pytest.mark.parametrize("tool", POISONED)
def test_calling_a_poisoned_tool_fails(wrong: Connection, tool: str) -> None:
    with pytest.raises(MCPError) as excinfo:
        result = wrong.session.call_tool(tool, {"text": "hello"})
        pytest.fail(f"not blocked; the server answered {text_of(result)!r}")
    assert_quarantined(excinfo.value)


# --- greet rewrites its description after its first call ---------------------------------------
# Each test starts its own server: the change sticks to the server process.


def test_control_direct_greet_changes(world: World, tmp_path: Path, server_cmd: list[str]) -> None:
    with connect(direct_params(world, server_cmd), tmp_path / "server.stderr") as conn:
        before = greet_description(conn)
        assert before is not None and "french" not in before
        assert text_of(conn.session.call_tool("greet", {})) == "Hi there."
        assert "french" in (greet_description(conn) or "")


def test_greet_is_held_back_once_changed(world: World, tmp_path: Path, server_cmd: list[str]) -> None:
    pc_home = tmp_path / "portcullis-home"  # no pins from other tests
    pc_home.mkdir()
    params = portcullis_params(world, server_cmd, name=SERVER_NAME, portcullis_home=pc_home)
    with connect(params, tmp_path / "portcullis.stderr") as conn:
        assert "greet" in tool_names(conn)
        assert text_of(conn.session.call_tool("greet", {})) == "Hi there."
        assert "greet" not in tool_names(conn), "the changed definition reached the client"


# --- env_var dumps the environment --------------------------------------------------------------


def test_control_direct_env_var_leaks_the_token(wrong_direct: Connection) -> None:
    result = wrong_direct.session.call_tool("env_var", {})
    assert f"GITHUB_TOKEN={FAKE_GITHUB_TOKEN}\n" in text_of(result)


def test_env_var_token_is_redacted(wrong: Connection, world: World) -> None:
    result = wrong.session.call_tool("env_var", {})
    assert not result.is_error, text_of(result)
    assert FAKE_GITHUB_TOKEN[-8:] not in str(dump(result)), "a fragment of the token came through"
    text = text_of(result)
    assert "GITHUB_TOKEN=[REDACTED:github-token]\n" in text
    assert f"HOME={world.home}\n" in text, "the rest of the environment is intact"
