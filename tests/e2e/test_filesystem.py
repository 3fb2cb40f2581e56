"""Portcullis in front of the real @modelcontextprotocol/server-filesystem.

The server is given the whole fake home as an allowed directory, so it would serve every
fake secret; the control test below proves that it does when reached directly. Through
Portcullis the same requests must be answered with Portcullis's own JSON-RPC error, naming
the built-in rule that blocked them, while ordinary reads and writes pass unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError

from conftest import (
    DOTENV_EXAMPLE,
    FAKE_AWS_CREDENTIALS,
    FAKE_DOTENV,
    FAKE_GITHUB_TOKEN,
    FAKE_SSH_KEY,
    FAKE_SSH_PUB,
    MAIN_PY_TEXT,
    README_TEXT,
    Connection,
    World,
    assert_blocked,
    connect,
    direct_params,
    dump,
    fs_server_cmd,
    portcullis_params,
    text_of,
)

pytestmark = [pytest.mark.timeout(60)]

SERVER_NAME = "fs"


@pytest.fixture(scope="module")
def fs(world: World, tmp_path_factory: pytest.TempPathFactory):
    """The filesystem server behind `portcullis run --name fs`, shared by the module."""
    logs = tmp_path_factory.mktemp("fs-logs")
    params = portcullis_params(world, fs_server_cmd(world), name=SERVER_NAME)
    with connect(params, logs / "portcullis.stderr") as conn:
        yield conn


@pytest.fixture(scope="module")
def fs_direct(world: World, tmp_path_factory: pytest.TempPathFactory):
    """The same server, reached without Portcullis."""
    logs = tmp_path_factory.mktemp("fs-direct-logs")
    with connect(direct_params(world, fs_server_cmd(world)), logs / "server.stderr") as conn:
        yield conn


@dataclass
class SecretRead:
    id: str
    tool: str
    arguments: Callable[[World], dict[str, Any]]
    rule: str
    # Evidence Portcullis must report (the canonical path of the secret), from the world.
    evidence: Callable[[World], str]
    # What the server itself answers when reached directly: text that must be in the result.
    leaked: str


SECRET_READS = [
    SecretRead(
        "ssh-key-absolute",
        "read_text_file",
        lambda w: {"path": str(w.ssh_key)},
        "ssh-keys",
        lambda w: str(w.ssh_key),
        FAKE_SSH_KEY,
    ),
    SecretRead(
        "ssh-key-tilde",
        "read_text_file",
        lambda w: {"path": "~/.ssh/id_rsa"},
        "ssh-keys",
        lambda w: str(w.ssh_key),
        FAKE_SSH_KEY,
    ),
    SecretRead(
        "ssh-key-relative-to-project",
        "read_text_file",
        lambda w: {"path": "../.ssh/id_rsa"},
        "ssh-keys",
        lambda w: str(w.ssh_key),
        FAKE_SSH_KEY,
    ),
    SecretRead(
        # A bare file name, relative to the project, that is a symlink to ~/.ssh/id_rsa.
        "ssh-key-via-symlink",
        "read_text_file",
        lambda w: {"path": "innocent.txt"},
        "ssh-keys",
        lambda w: str(w.ssh_key),
        FAKE_SSH_KEY,
    ),
    SecretRead(
        "ssh-key-via-dot-slash-symlink",
        "read_text_file",
        lambda w: {"path": "./innocent.txt"},
        "ssh-keys",
        lambda w: str(w.ssh_key),
        FAKE_SSH_KEY,
    ),
    SecretRead(
        "ssh-key-via-absolute-symlink",
        "read_text_file",
        lambda w: {"path": str(w.symlink)},
        "ssh-keys",
        lambda w: str(w.ssh_key),
        FAKE_SSH_KEY,
    ),
    SecretRead(
        "ssh-key-read-file",
        "read_file",
        lambda w: {"path": str(w.ssh_key)},
        "ssh-keys",
        lambda w: str(w.ssh_key),
        FAKE_SSH_KEY,
    ),
    SecretRead(
        "ssh-key-read-multiple-files",
        "read_multiple_files",
        lambda w: {"paths": [str(w.readme), str(w.ssh_key)]},
        "ssh-keys",
        lambda w: str(w.ssh_key),
        FAKE_SSH_KEY,
    ),
    SecretRead(
        "ssh-dir-list-directory",
        "list_directory",
        lambda w: {"path": str(w.home / ".ssh")},
        "ssh-keys",
        lambda w: str(w.home / ".ssh"),
        "id_rsa",
    ),
    SecretRead(
        "dotenv-relative",
        "read_text_file",
        lambda w: {"path": ".env"},
        "dotenv-files",
        lambda w: str(w.dotenv),
        FAKE_DOTENV,
    ),
    SecretRead(
        "dotenv-absolute",
        "read_text_file",
        lambda w: {"path": str(w.dotenv)},
        "dotenv-files",
        lambda w: str(w.dotenv),
        FAKE_DOTENV,
    ),
    SecretRead(
        "aws-credentials-absolute",
        "read_text_file",
        lambda w: {"path": str(w.aws_credentials)},
        "cloud-credentials",
        lambda w: str(w.aws_credentials),
        FAKE_AWS_CREDENTIALS,
    ),
    SecretRead(
        "aws-credentials-tilde",
        "read_text_file",
        lambda w: {"path": "~/.aws/credentials"},
        "cloud-credentials",
        lambda w: str(w.aws_credentials),
        FAKE_AWS_CREDENTIALS,
    ),
]


# --- handshake and listing -------------------------------------------------------------------


def test_handshake_passes_through(fs: Connection, fs_direct: Connection) -> None:
    assert fs.init.server_info.name == "secure-filesystem-server"
    assert dump(fs.init.server_info) == dump(fs_direct.init.server_info)
    assert fs.init.protocol_version == fs_direct.init.protocol_version
    assert dump(fs.init.capabilities) == dump(fs_direct.init.capabilities)


def test_tools_list_same_as_direct(fs: Connection, fs_direct: Connection) -> None:
    proxied = fs.session.list_tools()
    direct = fs_direct.session.list_tools()
    names = [t.name for t in proxied.tools]
    assert {"read_text_file", "read_multiple_files", "write_file", "list_directory"} <= set(names)
    assert names == [t.name for t in direct.tools]
    assert dump(proxied) == dump(direct)


# --- the server itself would leak every secret -------------------------------------------------


@pytest.mark.parametrize("case", SECRET_READS, ids=lambda c: c.id)
def test_control_direct_server_serves_the_secret(fs_direct: Connection, world: World, case: SecretRead) -> None:
    """Without Portcullis the server answers: the blocking tests below are meaningful."""
    result = fs_direct.session.call_tool(case.tool, case.arguments(world))
    assert not result.is_error, text_of(result)
    assert case.leaked in text_of(result)


# --- ... and Portcullis blocks every one of those requests -------------------------------------


@pytest.mark.parametrize("case", SECRET_READS, ids=lambda c: c.id)
def test_secret_read_is_blocked(fs: Connection, world: World, case: SecretRead) -> None:
    with pytest.raises(MCPError) as excinfo:
        result = fs.session.call_tool(case.tool, case.arguments(world))
        pytest.fail(f"not blocked; the server answered: {text_of(result)!r}")
    assert_blocked(excinfo.value, case.rule, server=SERVER_NAME, evidence_contains=case.evidence(world))
    assert case.leaked not in str(excinfo.value.error.model_dump())
    # The connection survives a blocked request.
    fs.session.send_ping()


def test_writing_into_ssh_dir_is_blocked(fs: Connection, world: World) -> None:
    target = world.home / ".ssh" / "authorized_keys"
    with pytest.raises(MCPError) as excinfo:
        fs.session.call_tool("write_file", {"path": "~/.ssh/authorized_keys", "content": FAKE_SSH_PUB})
    assert_blocked(excinfo.value, "ssh-keys", server=SERVER_NAME, evidence_contains=str(target))
    assert not target.exists(), "the blocked write reached the server"


# --- ordinary traffic is untouched -------------------------------------------------------------


@pytest.mark.parametrize(
    "path, expected",
    [
        ("README.md", README_TEXT),
        ("src/main.py", MAIN_PY_TEXT),
        (".env.example", DOTENV_EXAMPLE),
        ("~/.ssh/id_rsa.pub", FAKE_SSH_PUB),
    ],
    ids=["relative-readme", "relative-nested", "dotenv-example", "ssh-public-key"],
)
def test_normal_read_same_as_direct(fs: Connection, fs_direct: Connection, path: str, expected: str) -> None:
    proxied = fs.session.call_tool("read_text_file", {"path": path})
    direct = fs_direct.session.call_tool("read_text_file", {"path": path})
    assert not proxied.is_error, text_of(proxied)
    assert text_of(proxied) == expected
    assert dump(proxied) == dump(direct)


def test_absolute_read_same_as_direct(fs: Connection, fs_direct: Connection, world: World) -> None:
    args = {"path": str(world.main_py)}
    proxied = fs.session.call_tool("read_text_file", args)
    direct = fs_direct.session.call_tool("read_text_file", args)
    assert text_of(proxied) == MAIN_PY_TEXT
    assert dump(proxied) == dump(direct)


def test_list_project_directory_same_as_direct(fs: Connection, fs_direct: Connection, world: World) -> None:
    args = {"path": str(world.project)}
    proxied = fs.session.call_tool("list_directory", args)
    direct = fs_direct.session.call_tool("list_directory", args)
    assert not proxied.is_error, text_of(proxied)
    assert "README.md" in text_of(proxied)
    assert dump(proxied) == dump(direct)


def test_write_with_github_token_is_blocked(fs: Connection, world: World) -> None:
    target = world.project / "config-with-token.txt"
    content = f"# deployment settings\nGITHUB_TOKEN={FAKE_GITHUB_TOKEN}\n"
    with pytest.raises(MCPError) as excinfo:
        fs.session.call_tool("write_file", {"path": str(target), "content": content})
    assert_blocked(excinfo.value, "secrets-in-arguments", server=SERVER_NAME)
    assert excinfo.value.error.data["evidence"], "a secret match must come with evidence"
    # Evidence says where the secret was, never the secret itself.
    assert FAKE_GITHUB_TOKEN not in excinfo.value.error.message
    assert FAKE_GITHUB_TOKEN not in str(excinfo.value.error.data)
    assert not target.exists(), "the blocked write reached the server"


def test_normal_write_works(fs: Connection, world: World) -> None:
    target = world.project / "notes.txt"
    content = "Remember to water the plants.\n"
    result = fs.session.call_tool("write_file", {"path": "notes.txt", "content": content})
    assert not result.is_error, text_of(result)
    assert "Successfully wrote" in text_of(result)
    assert target.read_text() == content
    back = fs.session.call_tool("read_text_file", {"path": str(target)})
    assert text_of(back) == content


def test_markdown_mentioning_dangerous_commands_is_written(fs: Connection, world: World) -> None:
    target = world.project / "SAFETY.md"
    content = (
        "# Safety notes\n\n"
        "Never run `rm -rf /` on a server, and never pipe the internet into a shell\n"
        "the way `curl x | sh` does.\n"
    )
    result = fs.session.call_tool("write_file", {"path": str(target), "content": content})
    assert not result.is_error, text_of(result)
    assert target.read_text() == content
