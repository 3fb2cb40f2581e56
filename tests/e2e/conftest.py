"""Shared fixtures for the Portcullis end-to-end tests.

Every test runs against a fake home directory made under pytest's tmp directory: the real
HOME is never read or written. The fake home holds fake secrets that the built-in rules are
meant to protect, and a project directory (the working directory of Portcullis and the
server) with ordinary files, a `.env`, and a symlink that leads into `~/.ssh`.

Servers are reached through the real Python MCP SDK (`mcp.client.stdio.stdio_client` and
`ClientSession`), once through `portcullis run ... -- SERVER` and, for comparison, directly.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parent.parent
PORTCULLIS_BIN = Path(os.environ.get("PORTCULLIS_BIN") or REPO_ROOT / "target" / "debug" / "portcullis")
# Our scripted malicious server (crates/testkit/src/bin/mischief-server.rs).
MISCHIEF_BIN = Path(os.environ.get("MISCHIEF_BIN") or REPO_ROOT / "target" / "debug" / "mischief-server")
NODE_BIN = E2E_DIR / "node_modules" / ".bin"
FS_SERVER = NODE_BIN / "mcp-server-filesystem"
EVERYTHING_SERVER = NODE_BIN / "mcp-server-everything"

# How long one request may take before the SDK gives up (a hang fails instead of blocking).
REQUEST_TIMEOUT = 20.0

# Secret-shaped test data is assembled at run time so that no complete key or token sits in the
# repository for secret scanners to trip over.
_PEM = "OPENSSH " + "PRIVATE KEY"
FAKE_SSH_KEY = (
    f"-----BEGIN {_PEM}-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "FAKE-KEY-FOR-PORTCULLIS-E2E-TESTS-NOT-A-REAL-KEY-0123456789abcdefABCDEF\n"
    f"-----END {_PEM}-----\n"
)
FAKE_SSH_PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKEFAKEFAKEFAKE e2e@portcullis\n"
FAKE_AWS_CREDENTIALS = (
    "[default]\n"
    f"aws_access_key_id = {'AKIA' + 'FAKE' * 4}\n"
    "aws_secret_access_key = fakefakefakefakefakefakefakefakefakefake\n"
)
FAKE_DOTENV = "API_TOKEN=fake-token-0123456789\nDATABASE_URL=postgres://app:hunter2@localhost/app\n"
DOTENV_EXAMPLE = "API_TOKEN=changeme\nDATABASE_URL=postgres://user:password@localhost/db\n"
README_TEXT = "# Demo project\n\nA perfectly ordinary project used by the Portcullis e2e tests.\n"
MAIN_PY_TEXT = 'def main():\n    print("hello from the demo project")\n\n\nif __name__ == "__main__":\n    main()\n'
FAKE_GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5F6" * 3


def _check_prerequisites() -> None:
    if not PORTCULLIS_BIN.is_file() or not os.access(PORTCULLIS_BIN, os.X_OK):
        pytest.fail(
            f"portcullis binary not found at {PORTCULLIS_BIN}: build it with "
            "`cargo build -p portcullis-cli` or set PORTCULLIS_BIN",
            pytrace=False,
        )
    for server in (FS_SERVER, EVERYTHING_SERVER):
        if not server.exists():
            pytest.fail(
                f"{server} not found: run `npm install` (or `npm ci`) in {E2E_DIR}",
                pytrace=False,
            )


@pytest.fixture(scope="session", autouse=True)
def prerequisites() -> None:
    _check_prerequisites()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Nothing may hang: every test gets a timeout unless it sets its own.
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(60))


@dataclass
class World:
    """A fake home directory with fake secrets, and a project inside it."""

    root: Path
    home: Path
    project: Path
    portcullis_home: Path
    ssh_key: Path
    ssh_pub: Path
    aws_credentials: Path
    dotenv: Path
    dotenv_example: Path
    readme: Path
    main_py: Path
    symlink: Path


def make_world(root: Path) -> World:
    root = Path(os.path.realpath(root))
    home = root / "home"
    project = home / "project"
    ssh = home / ".ssh"
    aws = home / ".aws"
    portcullis_home = root / "portcullis-home"
    for d in (project / "src", ssh, aws, portcullis_home):
        d.mkdir(parents=True, exist_ok=True)
    ssh.chmod(0o700)
    ssh_key = ssh / "id_rsa"
    ssh_key.write_text(FAKE_SSH_KEY)
    ssh_key.chmod(0o600)
    ssh_pub = ssh / "id_rsa.pub"
    ssh_pub.write_text(FAKE_SSH_PUB)
    aws_credentials = aws / "credentials"
    aws_credentials.write_text(FAKE_AWS_CREDENTIALS)
    dotenv = project / ".env"
    dotenv.write_text(FAKE_DOTENV)
    dotenv_example = project / ".env.example"
    dotenv_example.write_text(DOTENV_EXAMPLE)
    readme = project / "README.md"
    readme.write_text(README_TEXT)
    main_py = project / "src" / "main.py"
    main_py.write_text(MAIN_PY_TEXT)
    symlink = project / "innocent.txt"
    symlink.symlink_to(ssh_key)
    return World(
        root=root,
        home=home,
        project=project,
        portcullis_home=portcullis_home,
        ssh_key=ssh_key,
        ssh_pub=ssh_pub,
        aws_credentials=aws_credentials,
        dotenv=dotenv,
        dotenv_example=dotenv_example,
        readme=readme,
        main_py=main_py,
        symlink=symlink,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("world"))


def child_env(world: World, portcullis_home: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment for Portcullis (and so for the server it starts).

    The SDK merges this over its small default environment (PATH, HOME, USER, ...), which does
    not carry PORTCULLIS_CONFIG: that variable is never inherited from the runner.
    """
    env = {
        "HOME": str(world.home),
        "PORTCULLIS_HOME": str(portcullis_home or world.portcullis_home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    env.update(extra)
    return env


def subprocess_env(world: World, portcullis_home: Path | None = None, **extra: str) -> dict[str, str]:
    """A complete environment for `subprocess`, built from scratch (no PORTCULLIS_CONFIG)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTCULLIS_")}
    env.update(child_env(world, portcullis_home, **extra))
    env.pop("PORTCULLIS_CONFIG", None)
    return env


def fs_server_cmd(world: World) -> list[str]:
    # The project comes first so that relative paths resolve against it (as they do for
    # Portcullis, whose cwd is the project); the whole fake home is allowed, so the server
    # itself would happily serve every secret in it.
    return [str(FS_SERVER), str(world.project), str(world.home)]


def everything_server_cmd() -> list[str]:
    return [str(EVERYTHING_SERVER), "stdio"]


def mischief_server_cmd() -> list[str]:
    # Checked here rather than in `prerequisites`: only the tests that use it need it.
    if not MISCHIEF_BIN.is_file() or not os.access(MISCHIEF_BIN, os.X_OK):
        pytest.fail(
            f"mischief server not found at {MISCHIEF_BIN}: build it with "
            "`cargo build --workspace --bins` or set MISCHIEF_BIN",
            pytrace=False,
        )
    return [str(MISCHIEF_BIN)]


def portcullis_params(
    world: World,
    server_cmd: list[str],
    *,
    name: str,
    monitor: bool = False,
    config: Path | None = None,
    cwd: Path | None = None,
    portcullis_home: Path | None = None,
    env_extra: dict[str, str] | None = None,
) -> StdioServerParameters:
    args = ["run", "--name", name]
    if config is not None:
        args += ["--config", str(config)]
    if monitor:
        args.append("--monitor")
    args += ["--", *server_cmd]
    return StdioServerParameters(
        command=str(PORTCULLIS_BIN),
        args=args,
        env=child_env(world, portcullis_home, **(env_extra or {})),
        cwd=str(cwd or world.project),
    )


def direct_params(
    world: World,
    server_cmd: list[str],
    *,
    cwd: Path | None = None,
    env_extra: dict[str, str] | None = None,
) -> StdioServerParameters:
    return StdioServerParameters(
        command=server_cmd[0],
        args=server_cmd[1:],
        env=child_env(world, **(env_extra or {})),
        cwd=str(cwd or world.project),
    )


class _BlockingSession:
    """The `ClientSession` of a `Connection`, with its coroutine methods made blocking."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._conn._session, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        def blocking(*args: Any, **kwargs: Any) -> Any:
            return self._conn.run(attr(*args, **kwargs))

        return blocking


class Connection:
    """A live MCP client connection, usable from ordinary (synchronous) tests.

    The SDK's `stdio_client` and `ClientSession` run in an asyncio event loop on a background
    thread for as long as the connection is open; `conn.session.call_tool(...)` and the other
    session methods block until the answer arrives (or `REQUEST_TIMEOUT` passes) and raise what
    the SDK raises (`MCPError` for a JSON-RPC error). Keeping pytest's own machinery (and its
    failure exceptions) out of the event loop keeps a failing test an ordinary failure, and one
    connection can serve every test of a module.
    """

    def __init__(self, params: StdioServerParameters, stderr_path: Path, **session_kwargs: Any) -> None:
        self.stderr_path = stderr_path
        self.session = _BlockingSession(self)
        self._session: ClientSession | None = None
        self.init: Any = None  # mcp.types.InitializeResult
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mcp-client", daemon=True)
        self._thread.start()
        self._ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._stop: asyncio.Event | None = None
        self._main = asyncio.run_coroutine_threadsafe(self._serve(params, session_kwargs), self._loop)
        try:
            self._ready.result(timeout=REQUEST_TIMEOUT + 10)
        except BaseException:
            self.close()
            raise

    async def _serve(self, params: StdioServerParameters, session_kwargs: dict[str, Any]) -> None:
        self._stop = asyncio.Event()
        try:
            with open(self.stderr_path, "w") as errlog:
                async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(
                    read, write, read_timeout_seconds=REQUEST_TIMEOUT, **session_kwargs
                ) as session:
                    self.init = await session.initialize()
                    self._session = session
                    self._ready.set_result(None)
                    await self._stop.wait()
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc)
            raise

    def run(self, coro: Any, timeout: float = REQUEST_TIMEOUT + 5) -> Any:
        """Runs `coro` on the connection's event loop and returns its result."""
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def close(self) -> None:
        if self._loop.is_closed():
            return
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        try:
            self._main.result(timeout=15)
        except BaseException:  # noqa: BLE001 - a startup failure was already raised to the caller
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait_for_stderr(self, needle: str, timeout: float = 5.0) -> str:
        """Stderr once it contains `needle` (or whatever it has after `timeout`)."""
        deadline = time.monotonic() + timeout
        text = self.stderr()
        while needle not in text and time.monotonic() < deadline:
            time.sleep(0.05)
            text = self.stderr()
        return text


def connect(params: StdioServerParameters, stderr_path: Path, **session_kwargs: Any) -> Connection:
    """Starts `params` over stdio, runs the MCP handshake and returns the live connection.

    Use it as a context manager. `session_kwargs` go to `ClientSession` (callbacks such as
    `sampling_callback`).
    """
    return Connection(params, stderr_path, **session_kwargs)


def dump(model: Any) -> Any:
    """A pydantic model as plain JSON-like data, for equality checks."""
    if isinstance(model, list):
        return [dump(m) for m in model]
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def text_of(result: Any) -> str:
    """The concatenated text content of a tool result."""
    return "".join(c.text for c in result.content if getattr(c, "type", None) == "text")


def assert_blocked(
    err: MCPError,
    rule: str,
    *,
    server: str,
    code: int = -32090,
    action: str = "deny",
    evidence_contains: str | None = None,
) -> None:
    """`err` is Portcullis's answer to a request blocked by `rule`."""
    error = err.error
    assert error.code == code, f"expected code {code}, got {error.code}: {error.message}"
    assert error.message.startswith(f"portcullis: blocked by rule {rule}: "), error.message
    data = error.data
    assert isinstance(data, dict), f"error.data is not an object: {data!r}"
    assert data.get("rule") == rule, data
    assert data.get("action") == action, data
    assert data.get("server") == server, data
    assert isinstance(data.get("reason"), str) and data["reason"], data
    assert error.message.startswith(f"portcullis: blocked by rule {rule}: {data['reason']}"), error.message
    assert isinstance(data.get("evidence"), list), data
    if evidence_contains is not None:
        assert any(evidence_contains in item for item in data["evidence"]), (
            f"no evidence item mentions {evidence_contains!r}: {data['evidence']}"
        )


def assert_quarantined(err: MCPError) -> None:
    """`err` is Portcullis's answer to a call of a tool it holds back as poisoned."""
    error = err.error
    assert error.code == -32090, f"expected code -32090, got {error.code}: {error.message}"
    assert re.search(r"quarantin|poison", error.message, re.IGNORECASE), error.message
