"""Raw newline-delimited JSON-RPC through `portcullis run`, for what an SDK client never sends:
malformed lines, duplicate keys and oversized messages. Portcullis must answer them itself and
keep the session usable."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import PORTCULLIS_BIN, World, fs_server_cmd, make_world, subprocess_env

pytestmark = [pytest.mark.timeout(60)]

MAX_BYTES = 4096


class RawPeer:
    """`portcullis run` as a subprocess, spoken to line by line."""

    def __init__(self, world: World, portcullis_home: Path, stderr_path: Path) -> None:
        self.world = world
        self._stderr = open(stderr_path, "wb")
        self.proc = subprocess.Popen(
            [str(PORTCULLIS_BIN), "run", "--name", "fs", "--", *fs_server_cmd(world)],
            cwd=world.project,
            env=subprocess_env(world, portcullis_home),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self._lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)

    def send_bytes(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data + b"\n")
        self.proc.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.send_bytes(json.dumps(message).encode())

    def receive(self, timeout: float = 15.0) -> dict[str, Any]:
        """The next message from Portcullis that is not a notification."""
        while True:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"no answer from portcullis within {timeout}s")
            message = json.loads(line)
            if "id" in message:
                return message

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._stderr.close()


@pytest.fixture
def peer(tmp_path: Path) -> Iterator[RawPeer]:
    world = make_world(tmp_path)
    pc_home = tmp_path / "portcullis-home-small"
    pc_home.mkdir()
    (pc_home / "config.yaml").write_text(f"max_message_bytes: {MAX_BYTES}\n")
    p = RawPeer(world, pc_home, tmp_path / "portcullis.stderr")
    p.world = world
    p.send(
        {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "raw-e2e", "version": "0"},
            },
        }
    )
    init = p.receive()
    assert init["id"] == 0 and init["result"]["serverInfo"]["name"] == "secure-filesystem-server", init
    p.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    yield p
    p.close()


def read_readme(peer: RawPeer, id_: int) -> dict[str, Any]:
    peer.send(
        {
            "jsonrpc": "2.0",
            "id": id_,
            "method": "tools/call",
            "params": {"name": "read_text_file", "arguments": {"path": "README.md"}},
        }
    )
    return peer.receive()


def test_invalid_json_gets_parse_error(peer: RawPeer) -> None:
    peer.send_bytes(b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list", ')
    answer = peer.receive()
    assert answer["error"]["code"] == -32700, answer
    # JSON-RPC answers a parse error with a null id; the id sniffed from the broken text is fine too.
    assert answer["id"] in (1, None), answer
    # The session goes on.
    ok = read_readme(peer, 2)
    assert ok["id"] == 2 and "Demo project" in ok["result"]["content"][0]["text"], ok


def test_invalid_utf8_gets_parse_error(peer: RawPeer) -> None:
    peer.send_bytes(b'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read_text_file",'
                    b'"arguments":{"path":"README\xff.md"}}}')
    answer = peer.receive()
    assert answer["error"]["code"] == -32700, answer
    # The id is intact, so the client waiting for request 3 gets its answer.
    assert answer["id"] == 3, answer


def test_duplicate_keys_get_parse_error(peer: RawPeer, tmp_path: Path) -> None:
    """A parser that keeps the first key and one that keeps the last would disagree: refuse."""
    line = (
        '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"read_text_file",'
        '"arguments":{"path":"README.md","path":"~/.ssh/id_rsa"}}}'
    )
    peer.send_bytes(line.encode())
    answer = peer.receive()
    assert answer["id"] == 4, answer
    assert answer["error"]["code"] == -32700, answer
    assert "OPENSSH" not in json.dumps(answer)


def test_oversized_message_is_refused(peer: RawPeer) -> None:
    message = {
        "jsonrpc": "2.0",
        "id": 5,
        "method": "tools/call",
        "params": {
            "name": "write_file",
            "arguments": {"path": "big.txt", "content": "x" * (MAX_BYTES * 2)},
        },
    }
    peer.send(message)
    answer = peer.receive()
    assert answer["id"] == 5, answer
    assert answer["error"]["code"] == -32092, answer
    assert not (peer.world.project / "big.txt").exists(), "the oversized request reached the server"
    ok = read_readme(peer, 6)
    assert ok["id"] == 6 and "result" in ok, ok
