"""Portcullis in front of the real @modelcontextprotocol/server-everything.

This server exercises most of MCP: tools, resources, resource templates, prompts, progress
notifications and server-to-client requests (sampling). Through Portcullis every one of them
must behave exactly as it does when the server is reached directly.
"""

from __future__ import annotations

import pytest
from mcp import types

from conftest import (
    Connection,
    World,
    connect,
    direct_params,
    dump,
    everything_server_cmd,
    portcullis_params,
    text_of,
)

pytestmark = [pytest.mark.timeout(60)]

SAMPLED_TEXT = "a canned answer from the e2e test's fake model"


class SamplingRecorder:
    """A sampling callback that answers with canned text and records what it was asked."""

    def __init__(self) -> None:
        self.requests: list[types.CreateMessageRequestParams] = []

    async def __call__(self, context, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
        self.requests.append(params)
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=SAMPLED_TEXT),
            model="e2e-fake-model",
            stop_reason="endTurn",
        )


@pytest.fixture(scope="module")
def sampling() -> SamplingRecorder:
    return SamplingRecorder()


@pytest.fixture(scope="module")
def everything(world: World, tmp_path_factory: pytest.TempPathFactory, sampling: SamplingRecorder):
    logs = tmp_path_factory.mktemp("everything-logs")
    params = portcullis_params(world, everything_server_cmd(), name="everything")
    with connect(params, logs / "portcullis.stderr", sampling_callback=sampling) as conn:
        yield conn


@pytest.fixture(scope="module")
def everything_direct(world: World, tmp_path_factory: pytest.TempPathFactory, sampling: SamplingRecorder):
    logs = tmp_path_factory.mktemp("everything-direct-logs")
    params = direct_params(world, everything_server_cmd())
    with connect(params, logs / "server.stderr", sampling_callback=sampling) as conn:
        yield conn


def test_handshake_passes_through(everything: Connection, everything_direct: Connection) -> None:
    assert everything.init.server_info.name == "mcp-servers/everything"
    assert dump(everything.init.server_info) == dump(everything_direct.init.server_info)
    assert everything.init.protocol_version == everything_direct.init.protocol_version
    assert dump(everything.init.capabilities) == dump(everything_direct.init.capabilities)
    assert everything.init.instructions
    assert everything.init.instructions == everything_direct.init.instructions


def test_tools_list_same_as_direct(everything: Connection, everything_direct: Connection) -> None:
    proxied = everything.session.list_tools()
    direct = everything_direct.session.list_tools()
    names = [t.name for t in proxied.tools]
    assert {"echo", "get-sum", "trigger-long-running-operation", "trigger-sampling-request"} <= set(names)
    assert names == [t.name for t in direct.tools]
    assert dump(proxied) == dump(direct)


def test_echo_same_as_direct(everything: Connection, everything_direct: Connection) -> None:
    message = "hello through the portcullis: ünïcödé ✓"
    proxied = everything.session.call_tool("echo", {"message": message})
    direct = everything_direct.session.call_tool("echo", {"message": message})
    assert not proxied.is_error
    assert text_of(proxied) == f"Echo: {message}"
    assert dump(proxied) == dump(direct)


def test_get_sum_same_as_direct(everything: Connection, everything_direct: Connection) -> None:
    proxied = everything.session.call_tool("get-sum", {"a": 19, "b": 23})
    direct = everything_direct.session.call_tool("get-sum", {"a": 19, "b": 23})
    assert "42" in text_of(proxied)
    assert dump(proxied) == dump(direct)


def test_resources_same_as_direct(everything: Connection, everything_direct: Connection) -> None:
    proxied = everything.session.list_resources()
    direct = everything_direct.session.list_resources()
    assert proxied.resources, "the everything server lists static resources"
    assert dump(proxied) == dump(direct)

    templates = everything.session.list_resource_templates()
    direct_templates = everything_direct.session.list_resource_templates()
    assert templates.resource_templates
    assert dump(templates) == dump(direct_templates)

    uri = str(proxied.resources[0].uri)
    read = everything.session.read_resource(uri)
    direct_read = everything_direct.session.read_resource(uri)
    assert read.contents and str(read.contents[0].uri) == uri
    assert getattr(read.contents[0], "text", None), "the static document has text"
    assert dump(read) == dump(direct_read)


def test_prompts_same_as_direct(everything: Connection, everything_direct: Connection) -> None:
    proxied = everything.session.list_prompts()
    direct = everything_direct.session.list_prompts()
    names = [p.name for p in proxied.prompts]
    assert {"simple-prompt", "args-prompt"} <= set(names)
    assert dump(proxied) == dump(direct)

    simple = everything.session.get_prompt("simple-prompt")
    assert simple.messages[0].content.text == "This is a simple prompt without arguments."
    assert dump(simple) == dump(everything_direct.session.get_prompt("simple-prompt"))

    args = {"city": "Oslo", "state": "Oslo county"}
    with_args = everything.session.get_prompt("args-prompt", args)
    assert with_args.messages[0].content.text == "What's weather in Oslo, Oslo county?"
    assert dump(with_args) == dump(everything_direct.session.get_prompt("args-prompt", args))


def test_progress_notifications_arrive(everything: Connection) -> None:
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    result = everything.session.call_tool(
        "trigger-long-running-operation",
        {"duration": 1, "steps": 4},
        progress_callback=on_progress,
    )
    assert text_of(result) == "Long running operation completed. Duration: 1 seconds, Steps: 4."
    assert [(p, t) for p, t, _ in progress] == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_server_to_client_sampling_request(everything: Connection, sampling: SamplingRecorder) -> None:
    """A request from the server (sampling/createMessage) and the client's answer both cross."""
    before = len(sampling.requests)
    result = everything.session.call_tool(
        "trigger-sampling-request", {"prompt": "what is a portcullis?", "maxTokens": 50}
    )
    assert not result.is_error, text_of(result)
    assert len(sampling.requests) == before + 1
    asked = sampling.requests[-1]
    assert asked.max_tokens == 50
    assert "what is a portcullis?" in asked.messages[0].content.text
    assert SAMPLED_TEXT in text_of(result)
    assert "e2e-fake-model" in text_of(result)
