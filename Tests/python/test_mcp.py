"""`engram mcp` driven by the official `mcp` Python SDK: the SDK spawns it over stdio in front
of the session's engramd, lists its tools, calls each one, reads its resources, and gets the
daemon's error codes back as tool errors."""
import os
import uuid

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from engram_processes import REPO

TOOLS = {"remember", "learn", "search", "get", "edit", "forget", "history", "feedback", "list_namespaces"}


@pytest.fixture(scope="module")
def engram_bin():
    path = os.path.abspath(os.environ.get("ENGRAM_BIN") or os.path.join(REPO, ".build/debug/engram"))
    if not os.path.exists(path):
        pytest.exit(f"{path} is missing (set ENGRAM_BIN, or build it: swift build)", returncode=1)
    return path


def run_session(engram_bin, daemon, body, namespace=None):
    """Runs `body(session, namespace)` in an MCP session with a fresh `engram mcp`."""
    namespace = namespace or f"mcp-{uuid.uuid4().hex[:10]}"
    params = StdioServerParameters(command=engram_bin, args=["mcp", "--socket", daemon.socket, "--namespace", namespace],
                                   env={"PATH": os.environ.get("PATH", "")})

    async def main():
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await body(session, namespace)

    return anyio.run(main)


def test_tools_are_listed_with_schemas(engram_bin, daemon):
    async def body(session, _):
        tools = (await session.list_tools()).tools
        assert {tool.name for tool in tools} == TOOLS
        for tool in tools:
            assert tool.description and tool.input_schema["type"] == "object", tool.name
        search = next(tool for tool in tools if tool.name == "search")
        assert search.input_schema["required"] == ["text"]
        assert search.annotations.read_only_hint is True
    run_session(engram_bin, daemon, body)


def test_every_tool_against_engramd(engram_bin, daemon):
    async def body(session, namespace):
        async def call(name, arguments):
            result = await session.call_tool(name, arguments)
            assert not result.is_error, (name, result.content)
            return result.structured_content

        entry = (await call("remember", {"text": "The build server is called hornet-7", "tags": ["infra"]}))["entry"]
        assert entry["namespace"] == namespace and entry["tags"] == ["infra"]
        hits = (await call("search", {"text": "which build server", "k": 3}))["hits"]
        assert hits[0]["entry"]["id"] == entry["id"]
        assert (await call("get", {"id": entry["id"]}))["text"] == "The build server is called hornet-7"
        edited = (await call("edit", {"id": entry["id"], "text": "The build server is called wasp-2", "reason": "renamed"}))
        assert edited["entry"]["text"] == "The build server is called wasp-2" and edited["entry"]["version"] == 2
        rated = await call("feedback", {"id": entry["id"], "signal": "useful"})
        assert rated["entry"]["confidence"] > entry["confidence"]
        events = (await call("history", {"id": entry["id"]}))["events"]
        assert [event["kind"] for event in events] == ["created", "updated", "feedback"]
        assert all(event["actor"].startswith("mcp:") for event in events), events
        learned = await call("learn", {"text": "Deploys happen on Tuesdays"})
        assert learned["action"] == "created"
        again = await call("learn", {"text": "Deploys happen on Tuesdays"})
        assert again["action"] == "reinforced" and again["entry"]["id"] == learned["entry"]["id"]
        await call("forget", {"id": entry["id"], "reason": "decommissioned"})
        forgotten = (await call("history", {"id": entry["id"]}))["events"][-1]
        assert forgotten["kind"] == "deleted" and forgotten["actor"].startswith("mcp:"), forgotten
        remaining = (await call("search", {"text": "build server", "k": 5}))["hits"]
        assert entry["id"] not in [hit["entry"]["id"] for hit in remaining]
        names = [item["name"] for item in (await call("list_namespaces", {}))["namespaces"]]
        assert namespace in names
    run_session(engram_bin, daemon, body)


def test_resources(engram_bin, daemon):
    async def body(session, namespace):
        entry = (await session.call_tool("remember", {"text": "Lunch is at noon"})).structured_content["entry"]
        uris = [str(resource.uri) for resource in (await session.list_resources()).resources]
        assert f"engram://namespaces/{namespace}/recent" in uris
        recent = await session.read_resource(f"engram://namespaces/{namespace}/recent")
        assert "Lunch is at noon" in recent.contents[0].text
        history = await session.read_resource(f"engram://namespaces/{namespace}/memories/{entry['id']}/history")
        assert '"created"' in history.contents[0].text
        templates = (await session.list_resource_templates()).resource_templates
        assert len(templates) == 2
    run_session(engram_bin, daemon, body)


def test_errors_are_tool_errors_with_the_daemons_code(engram_bin, daemon):
    async def body(session, namespace):
        await session.call_tool("remember", {"text": "something to err about"})
        missing = await session.call_tool("get", {"id": 999999})
        assert missing.is_error
        assert missing.structured_content["error"]["code"] == "not_found"
        assert missing.content[0].text.startswith("error: not_found: ")
        unknown = await session.call_tool("remember", {"text": "x", "colour": "red"})
        assert unknown.is_error and unknown.structured_content["error"]["code"] == "unknown_field"
        wrong_namespace = await session.call_tool("search", {"text": "x", "namespace": "no-such-namespace"})
        assert wrong_namespace.structured_content["error"]["code"] == "namespace_not_found"
    run_session(engram_bin, daemon, body)
