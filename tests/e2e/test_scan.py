"""`portcullis scan` against `mcp-server-everything-wrong` (PyPI), a deliberately malicious server:
its poisoned tools (`joke_teller`, `shadowing_attack`, and `echo` through its `debug` parameter)
are reported with the offending text, `greet` (harmless until its first call) is not, and the
scan leaves no state behind. The server's virtual environment is the one
`test_everything_wrong.py` makes.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import PORTCULLIS_BIN, World, subprocess_env
from test_everything_wrong import POISONED, SERVER_NAME, server_cmd  # noqa: F401 (a fixture)

# Making the virtual environment the first time takes a while.
pytestmark = [pytest.mark.timeout(300)]


def scan(world: World, portcullis_home: Path, server: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    env = subprocess_env(world, portcullis_home, NO_COLOR="1")
    return subprocess.run(
        [str(PORTCULLIS_BIN), "scan", *args, "--name", SERVER_NAME, "--", *server],
        env=env,
        cwd=world.project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def pointer(value: Any, path: str) -> Any:
    """The member of `value` a JSON pointer names."""
    for part in path.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def test_scan_reports_the_poisoned_tools_with_the_offending_text(
    world: World, tmp_path: Path, server_cmd: list[str]  # noqa: F811 (the fixture)
) -> None:
    home = tmp_path / "portcullis-home"
    home.mkdir()
    proc = scan(world, home, server_cmd, "--json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["summary"] == {"servers": 1, "with_problems": 1, "failed": 0, "clean": 0}
    server = doc["servers"][0]
    assert server["status"] == "ok", server["failure"]
    assert server["counts"]["tools"] >= len(POISONED) + 2

    items = {item["name"]: item for item in server["items"] if item["kind"] == "tool"}
    poisoned = {name for name, item in items.items() if any(p["type"] == "poisoned" for p in item["problems"])}
    assert poisoned == set(POISONED)
    assert items["greet"]["problems"] == [], "greet only changes after its first call"
    assert items["echo"]["pin"] == "not_pinned"

    for name in POISONED:
        problem = next(p for p in items[name]["problems"] if p["type"] == "poisoned")
        assert problem["summary"], problem
        for finding in problem["findings"]:
            # Offsets are bytes of the field's UTF-8 text, and `text` is what lies between them.
            field = pointer(items[name]["definition"], finding["field"])
            if isinstance(field, str):
                assert field.encode()[finding["start"] : finding["end"]].decode() == finding["text"], finding
    debug = [f for f in items["echo"]["problems"][0]["findings"] if "/debug" in f["field"]]
    assert debug, items["echo"]["problems"]

    assert list(home.iterdir()) == [], "a scan writes no state"


def test_the_report_marks_the_offending_text(
    world: World, tmp_path: Path, server_cmd: list[str]  # noqa: F811 (the fixture)
) -> None:
    proc = scan(world, tmp_path, server_cmd)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert out.startswith(f"== {SERVER_NAME} (command line) == PROBLEMS\n"), out
    for name in POISONED:
        assert f"\n  tool {name}\n    POISONED: " in out, out
    assert "»" in out and "«" in out, out
    assert "greet" in out.split("  clean: ")[1], out
    assert out.endswith("1 server scanned: 1 with problems, 0 failed, 0 clean\n"), out
