"""`portcullis run --monitor`: every decision is made and logged, nothing is blocked."""

from __future__ import annotations

import pytest

from conftest import (
    FAKE_DOTENV,
    FAKE_SSH_KEY,
    Connection,
    World,
    connect,
    fs_server_cmd,
    portcullis_params,
    text_of,
)

pytestmark = [pytest.mark.timeout(60)]


@pytest.fixture(scope="module")
def fs_monitor(world: World, tmp_path_factory: pytest.TempPathFactory):
    logs = tmp_path_factory.mktemp("monitor-logs")
    params = portcullis_params(world, fs_server_cmd(world), name="fs", monitor=True)
    with connect(params, logs / "portcullis.stderr") as conn:
        yield conn


def test_monitor_announces_itself(fs_monitor: Connection) -> None:
    stderr = fs_monitor.wait_for_stderr("monitor mode")
    assert "monitor mode" in stderr, stderr


def test_monitor_forwards_ssh_key_read(fs_monitor: Connection, world: World) -> None:
    result = fs_monitor.session.call_tool("read_text_file", {"path": str(world.ssh_key)})
    assert not result.is_error, text_of(result)
    assert text_of(result) == FAKE_SSH_KEY
    stderr = fs_monitor.wait_for_stderr("would deny")
    lines = [line for line in stderr.splitlines() if "would deny" in line]
    assert lines, f"stderr does not mention 'would deny':\n{stderr}"
    assert any("ssh-keys" in line for line in lines), lines


def test_monitor_forwards_dotenv_read(fs_monitor: Connection) -> None:
    result = fs_monitor.session.call_tool("read_text_file", {"path": ".env"})
    assert text_of(result) == FAKE_DOTENV
    stderr = fs_monitor.wait_for_stderr("dotenv-files")
    assert any("would deny" in line and "dotenv-files" in line for line in stderr.splitlines()), stderr
