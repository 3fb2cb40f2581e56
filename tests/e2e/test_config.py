"""Configuration layers: the user's config.yaml (in $PORTCULLIS_HOME) and a project's
`.portcullis.yaml`, which may only tighten the policy."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from mcp.shared.exceptions import MCPError

from conftest import (
    FAKE_SSH_KEY,
    FS_SERVER,
    PORTCULLIS_BIN,
    README_TEXT,
    World,
    assert_blocked,
    connect,
    fs_server_cmd,
    make_world,
    portcullis_params,
    subprocess_env,
    text_of,
)

pytestmark = [pytest.mark.timeout(60)]

NO_WRITE_CONFIG = """\
# e2e: a user rule on top of the built-ins
rules:
  - name: no-write
    action: deny
    reason: "writes are off"
    tool: "write_file"
"""

DISABLE_SSH_CONFIG = """\
disable_builtin: [ssh-keys]
"""

PROJECT_LOOSENING = """\
# this project would like to read your SSH keys
disable_builtin: [ssh-keys]
"""

PROJECT_TIGHTENING = """\
rules:
  - name: project-no-listing
    action: deny
    reason: "this project does not list directories"
    tool: list_directory
"""


@pytest.fixture
def world(tmp_path: Path) -> World:
    # A fresh world per test: these tests write configuration files into it.
    return make_world(tmp_path)


def user_config(world: World, text: str) -> Path:
    pc_home = world.root / "portcullis-home-with-config"
    pc_home.mkdir()
    (pc_home / "config.yaml").write_text(text)
    return pc_home


def test_user_rule_blocks_write_file(world: World) -> None:
    pc_home = user_config(world, NO_WRITE_CONFIG)
    params = portcullis_params(world, fs_server_cmd(world), name="fs", portcullis_home=pc_home)
    with connect(params, world.root / "portcullis.stderr") as conn:
        target = world.project / "notes.txt"
        with pytest.raises(MCPError) as excinfo:
            conn.session.call_tool("write_file", {"path": str(target), "content": "hello\n"})
        assert_blocked(excinfo.value, "no-write", server="fs")
        assert excinfo.value.error.data["reason"] == "writes are off"
        assert excinfo.value.error.message.startswith("portcullis: blocked by rule no-write: writes are off")
        assert not target.exists(), "the blocked write reached the server"

        # The user rule is narrow: reading still works ...
        result = conn.session.call_tool("read_text_file", {"path": "README.md"})
        assert text_of(result) == README_TEXT
        # ... and the built-in rules still apply on top of it.
        with pytest.raises(MCPError) as excinfo:
            conn.session.call_tool("read_text_file", {"path": str(world.ssh_key)})
        assert_blocked(excinfo.value, "ssh-keys", server="fs", evidence_contains=str(world.ssh_key))


def test_user_config_may_disable_a_builtin(world: World) -> None:
    pc_home = user_config(world, DISABLE_SSH_CONFIG)
    params = portcullis_params(world, fs_server_cmd(world), name="fs", portcullis_home=pc_home)
    with connect(params, world.root / "portcullis.stderr") as conn:
        # The read is allowed now; the key in the answer is still redacted, whole.
        result = conn.session.call_tool("read_text_file", {"path": str(world.ssh_key)})
        assert text_of(result) == "[REDACTED:private-key]\n"
        # Only that rule is off.
        with pytest.raises(MCPError) as excinfo:
            conn.session.call_tool("read_text_file", {"path": ".env"})
        assert_blocked(excinfo.value, "dotenv-files", server="fs")


def test_user_config_may_let_the_key_through_entirely(world: World) -> None:
    pc_home = user_config(world, DISABLE_SSH_CONFIG + "redact: {private-key: off}\n")
    params = portcullis_params(world, fs_server_cmd(world), name="fs", portcullis_home=pc_home)
    with connect(params, world.root / "portcullis.stderr") as conn:
        result = conn.session.call_tool("read_text_file", {"path": str(world.ssh_key)})
        assert text_of(result) == FAKE_SSH_KEY


def test_project_file_cannot_disable_builtin(world: World) -> None:
    """A `.portcullis.yaml` that loosens the policy makes `portcullis run` refuse to start."""
    project_file = world.project / ".portcullis.yaml"
    project_file.write_text(PROJECT_LOOSENING)
    marker = world.root / "server-started"
    # The "server" records that it ran: Portcullis must refuse before starting it.
    server = ["/bin/sh", "-c", f'touch "{marker}"; exec "{FS_SERVER}" "{world.project}" "{world.home}"']
    proc = subprocess.run(
        [str(PORTCULLIS_BIN), "run", "--name", "fs", "--", *server],
        cwd=world.project,
        env=subprocess_env(world),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode != 0, f"portcullis started anyway; stderr:\n{proc.stderr}"
    assert proc.stdout == "", "nothing may be written to the protocol channel"
    where = f"{os.path.realpath(project_file)}:2:"
    assert where in proc.stderr, f"stderr does not point at {where}:\n{proc.stderr}"
    assert "disable" in proc.stderr, proc.stderr
    assert not marker.exists(), "portcullis started the server although its policy failed to load"


def test_project_file_refusal_seen_by_sdk_client(world: World) -> None:
    """An MCP client sees the connection close instead of hanging or talking to the server."""
    (world.project / ".portcullis.yaml").write_text(PROJECT_LOOSENING)
    stderr_path = world.root / "portcullis.stderr"
    params = portcullis_params(world, fs_server_cmd(world), name="fs")
    with pytest.raises(BaseException) as excinfo, connect(params, stderr_path):
        pass
    # The SDK reports the closed connection (wrapped in its task groups' exception groups).
    errors = [e for e in leaves(excinfo.value) if isinstance(e, MCPError)]
    assert errors, f"expected an MCPError, got {excinfo.value!r}"
    assert all(e.error.code != -32090 for e in errors), "a policy answer, not a refusal to start"
    assert any("closed" in e.error.message.lower() for e in errors), errors
    assert ".portcullis.yaml:2:" in stderr_path.read_text(), stderr_path.read_text()


def leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaves(inner)]
    return [exc]


def test_project_file_may_tighten(world: World) -> None:
    (world.project / ".portcullis.yaml").write_text(PROJECT_TIGHTENING)
    params = portcullis_params(world, fs_server_cmd(world), name="fs")
    with connect(params, world.root / "portcullis.stderr") as conn:
        with pytest.raises(MCPError) as excinfo:
            conn.session.call_tool("list_directory", {"path": str(world.project)})
        assert_blocked(excinfo.value, "project-no-listing", server="fs")
        assert excinfo.value.error.data["reason"] == "this project does not list directories"
        result = conn.session.call_tool("read_text_file", {"path": "README.md"})
        assert text_of(result) == README_TEXT
