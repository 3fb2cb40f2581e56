"""The audit trail behind the real @modelcontextprotocol/server-filesystem and the Python SDK.

A session reads an ordinary file, a file that holds a token (redacted on the way back) and the
AWS credentials (denied). Afterwards `portcullis logs` must show each decision with the client
the SDK announced, `portcullis logs verify` must pass, and no byte Portcullis wrote may hold the
token or the AWS secret.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from mcp.shared.exceptions import MCPError

from conftest import (
    FAKE_AWS_CREDENTIALS,
    FAKE_GITHUB_TOKEN,
    PORTCULLIS_BIN,
    World,
    assert_blocked,
    connect,
    fs_server_cmd,
    portcullis_params,
    subprocess_env,
    text_of,
)

pytestmark = [pytest.mark.timeout(60)]


def logs(world: World, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PORTCULLIS_BIN), "logs", *args],
        env=subprocess_env(world, home),
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_session_is_recorded_redacted_and_verifiable(world: World, tmp_path: Path) -> None:
    home = tmp_path / "portcullis-home"
    notes = world.project / "deploy-notes.txt"
    notes.write_text(f"Deploy with GITHUB_TOKEN={FAKE_GITHUB_TOKEN} and nothing else.\n")
    params = portcullis_params(world, fs_server_cmd(world), name="fs", portcullis_home=home)
    with connect(params, tmp_path / "portcullis.stderr") as fs:
        assert "Demo project" in text_of(fs.session.call_tool("read_text_file", {"path": "README.md"}))
        redacted = text_of(fs.session.call_tool("read_text_file", {"path": str(notes)}))
        assert FAKE_GITHUB_TOKEN not in redacted and "[REDACTED:github-token]" in redacted
        with pytest.raises(MCPError) as denied:
            fs.session.call_tool("read_text_file", {"path": "~/.aws/credentials"})
        assert_blocked(denied.value, "cloud-credentials", server="fs")

    listed = logs(world, home, "--json", "--server", "fs", "--limit", "1000")
    assert listed.returncode == 0, listed.stderr
    records = [json.loads(line) for line in listed.stdout.splitlines()]
    calls = [r for r in records if r["method"] == "tools/call"]
    verdicts = [(r["kind"], r["verdict"], r["rule"]) for r in calls]
    assert verdicts == [
        ("request", "allow", None),
        ("response", "allow", None),
        ("request", "allow", None),
        ("response", "redact", "sensitive-data"),
        ("request", "deny", "cloud-credentials"),
    ], verdicts
    assert all(r["client"] and r["client"].startswith("mcp") for r in calls), calls
    leak = calls[3]
    assert [s["kind"] for s in leak["secrets"]] == ["github-token"], leak
    assert "[REDACTED:github-token#" in leak["summary"], leak
    assert any(".aws/credentials" in e for e in calls[4]["evidence"]), calls[4]

    verified = logs(world, home, "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    aws_secret = FAKE_AWS_CREDENTIALS.split("aws_secret_access_key = ")[1].strip()
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert FAKE_GITHUB_TOKEN.encode() not in data, path
            assert aws_secret.encode() not in data, path
