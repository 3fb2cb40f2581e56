"""Portcullis started the way desktop clients start servers: in `/`, not in the project.

server-filesystem resolves a relative path against the first directory it was given, not its
working directory. Portcullis must judge the path the way the server will read it, so a relative
`../.netrc` (a home-anchored secret) is caught even though, read against `/`, it would be
`/.netrc`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp.shared.exceptions import MCPError

from conftest import (
    Connection,
    World,
    assert_blocked,
    connect,
    direct_params,
    fs_server_cmd,
    portcullis_params,
    text_of,
)

pytestmark = [pytest.mark.timeout(60)]

NETRC = "machine example.com login me password fake-netrc-password\n"


@pytest.fixture(scope="module")
def netrc(world: World) -> Path:
    path = world.home / ".netrc"
    path.write_text(NETRC)
    return path


@pytest.fixture(scope="module")
def fs_at_root(world: World, netrc: Path, tmp_path_factory: pytest.TempPathFactory):
    logs = tmp_path_factory.mktemp("fs-root-logs")
    params = portcullis_params(world, fs_server_cmd(world), name="fs", cwd=Path("/"))
    with connect(params, logs / "portcullis.stderr") as conn:
        yield conn


def test_control_the_server_reads_relative_paths_against_its_first_directory(
    world: World, netrc: Path, tmp_path: Path
) -> None:
    with connect(direct_params(world, fs_server_cmd(world), cwd=Path("/")), tmp_path / "direct.stderr") as conn:
        result = conn.session.call_tool("read_text_file", {"path": "../.netrc"})
        assert NETRC.strip() in text_of(result)


def test_relative_secret_is_blocked_when_the_client_starts_servers_in_root(
    fs_at_root: Connection, netrc: Path
) -> None:
    with pytest.raises(MCPError) as excinfo:
        result = fs_at_root.session.call_tool("read_text_file", {"path": "../.netrc"})
        pytest.fail(f"not blocked; the server answered: {text_of(result)!r}")
    assert_blocked(excinfo.value, "package-and-git-tokens", server="fs", evidence_contains=str(netrc))


def test_relative_project_file_still_reads(fs_at_root: Connection, world: World) -> None:
    result = fs_at_root.session.call_tool("read_text_file", {"path": "README.md"})
    assert world.readme.read_text().strip() in text_of(result)
