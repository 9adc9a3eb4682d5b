"""The portal's /mcp endpoint driven by the official MCP Python SDK (`mcp` on PyPI).

Run by tests/mcp/main.rs against a running portal it seeded:

    python client.py SEED.json

SEED.json: {"url", "agent", "agent_id", "stranger", "admin", "friend_session", "friend_link",
"friend_id"}. Prints one "mcp-client: ok ..." line per check passed and the JSON of what
the Rust test checks afterwards (the request ids of the calls) as "mcp-client: result {...}";
exits 1 on the first failure, saying what differed.
"""

import asyncio
import json
import sys

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


class Failed(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failed(what)
    print(f"mcp-client: ok {what}", flush=True)


def connect(url, token):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = httpx2.AsyncClient(headers=headers, timeout=60)
    # mode="legacy": the initialize handshake, which every MCP server speaks.
    return Client(streamable_http_client(url, http_client=http), mode="legacy")


def text_of(result):
    return "\n".join(getattr(c, "text", "") for c in result.content)


async def rest(seed, method, path, token, body=None):
    async with httpx2.AsyncClient(timeout=60) as http:
        r = await http.request(method, seed["url"] + path, json=body,
                               headers={"Authorization": f"Bearer {token}"})
        return r.status_code, (r.json() if r.content else None)


async def as_agent(seed, out):
    friend = seed["friend_id"]
    async with connect(seed["url"] + "/mcp", seed["agent"]) as client:
        check(client.server_info is not None and client.server_info.name == "friend-portal",
              f"initialize: the server says it is friend-portal ({client.server_info})")
        check(client.server_capabilities.tools is not None, "initialize: tools are a capability")

        tools = {t.name: t for t in (await client.list_tools()).tools}
        for name in ["friends_get", "friends_list", "sessions_create", "crons_create", "crons_list",
                     "namespace_overview", "namespace_deployment_logs", "namespace_restart_deployment",
                     "workspace_notes_put", "send_portal_link", "needs_attention"]:
            check(name in tools, f"tools/list: an agent has {name}")
        for name in ["agents_list", "admin_audit", "portal_me", "secrets_get", "plugins_install"]:
            check(name not in tools, f"tools/list: an agent does not have {name}")
        get = tools["friends_get"]
        check(get.annotations.read_only_hint is True, "friends_get is read-only")
        check(get.input_schema["required"] == ["id"], f"friends_get takes the friend's id ({get.input_schema})")
        delete = tools["crons_delete"]
        check(delete.annotations.destructive_hint is True and delete.annotations.idempotent_hint is True,
              "crons_delete is destructive and idempotent")
        create = tools["crons_create"]
        check(create.annotations.read_only_hint is False and create.annotations.destructive_hint is False,
              "crons_create only adds")
        body = create.input_schema["properties"]["body"]
        check("$defs" in create.input_schema or "properties" in body,
              "crons_create's body schema is the plugin's own")
        check(all(t.description and len(t.description) > 20 for t in tools.values()),
              "every tool is described")
        # A plugin route without plain words (host/src/mcp/words.rs) shows the document's
        # technical summary, "crons.list (plugin crons)": none may.
        undescribed = [t.name for t in tools.values() if "(plugin " in (t.title or "") + t.description]
        check(not undescribed, f"every plugin tool has plain words ({undescribed})")

        link = await client.call_tool("send_portal_link", {"friend_id": friend})
        check(not link.is_error, f"send_portal_link works: {text_of(link)}")
        s = link.structured_content
        check(s["portal_url"].startswith(seed["url"] + "/portal?s="), "the link is a portal link")
        check(s["preferred_channel"] == "signal" and s["address"] == "+15550001111",
              f"the link names the friend's preferred channel and address ({s})")
        check("Signal" in text_of(link) and s["portal_url"] in text_of(link), "the text says where to send it")

        job = {"name": "daily-check", "message": "How is the app doing?", "cron": "0 9 * * *",
               "session": f"agent:{seed['agent_id']}:direct:channel:{friend}"}
        made = await client.call_tool("crons_create", {"id": friend, "body": job})
        check(not made.is_error, f"crons_create schedules a message: {text_of(made)}")
        check(made.structured_content["name"] == "daily-check", "the answer is the REST answer (the job)")

        status = await client.call_tool("namespace_overview", {"id": friend})
        check(not status.is_error, f"namespace_overview reads the app's state: {text_of(status)[:200]}")
        deployments = status.structured_content["deployments"]
        check(any(d["name"] == "web" for d in deployments), "the overview lists the app web")

        listed = await client.call_tool("crons_list", {"id": friend})
        check(isinstance(listed.structured_content["items"], list)
              and listed.structured_content["items"][0]["name"] == "daily-check",
              "a list answer is structured as {items: [...]}")

        attention = await client.call_tool("needs_attention", {"friend_id": friend})
        check(not attention.is_error, f"needs_attention works: {text_of(attention)}")
        edits = attention.structured_content["notes_changed_by_friend"]
        check(any(e["file"] == "MEMORY.md" for e in edits),
              f"needs_attention names the file the friend changed ({attention.structured_content})")

        # Refusals: the same status and words as REST.
        missing = await client.call_tool("friends_get", {"id": "nobody"})
        status_code, rest_body = await rest(seed, "GET", "/api/friends/nobody", seed["agent"])
        check(missing.is_error and text_of(missing).startswith(rest_body["error"]["message"]),
              f"an unknown friend is a tool error with REST's message ({text_of(missing)!r} / {rest_body})")
        # An agent hears the same 403 for a friend who does not exist as for one not theirs
        # (Security rules: other friends' ids), so no id can be probed.
        check(missing.structured_content["status"] == status_code == 403, "with REST's status")

        bad = await client.call_tool("crons_create", {"id": friend, "body": {"name": "Not A Label"}})
        check(bad.is_error and bad.structured_content["status"] == 422,
              f"a broken rule is a tool error (422): {text_of(bad)}")

        wrong = await client.call_tool("friends_get", {})
        check(wrong.is_error and "id" in text_of(wrong), f"a missing argument is a tool error: {text_of(wrong)}")

        try:
            unknown = await client.call_tool("no_such_tool", {})
            check(unknown.is_error, f"an unknown tool is an error: {text_of(unknown)}")
        except Exception as e:  # a JSON-RPC error is as good
            check("no_such_tool" in str(e), f"an unknown tool is an error: {e}")
        out["agent"] = "ok"


async def as_stranger(seed, out):
    """An agent without a friendship with the friend: every friend tool refused, as REST does."""
    friend = seed["friend_id"]
    async with connect(seed["url"] + "/mcp", seed["stranger"]) as client:
        for name, args, method, path, body in [
            ("friends_get", {"id": friend}, "GET", f"/api/friends/{friend}", None),
            ("namespace_overview", {"id": friend}, "GET", f"/api/friends/{friend}/namespace/status", None),
            ("sessions_create", {"body": {"friend_id": friend}}, "POST", "/api/auth/portal-session",
             {"friend_id": friend}),
        ]:
            result = await client.call_tool(name, args)
            status_code, rest_body = await rest(seed, method, path, seed["stranger"], body)
            check(result.is_error and status_code == 403 and result.structured_content["status"] == 403,
                  f"a stranger agent's {name} is refused (403), as over REST")
            check(text_of(result).startswith(rest_body["error"]["message"]),
                  f"with REST's words: {text_of(result)!r}")
        for name, args in [("send_portal_link", {"friend_id": friend}),
                           ("needs_attention", {"friend_id": friend})]:
            result = await client.call_tool(name, args)
            check(result.is_error and result.structured_content["status"] == 403,
                  f"a stranger agent's {name} is refused: {text_of(result)}")
    out["stranger"] = "ok"


async def as_admin(seed):
    async with connect(seed["url"] + "/mcp", seed["admin"]) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        for name in ["agents_list", "admin_audit", "friends_get", "send_portal_link"]:
            check(name in tools, f"tools/list: the admin has {name}")
        check("plugins_install" not in tools, "a WebAssembly upload is no tool")
        check("portal_me" not in tools, "the admin has no friend-only tool")


async def refused(seed, token, what):
    """A token /mcp must refuse: the SDK fails to connect, and the endpoint says why."""
    try:
        async with connect(seed["url"] + "/mcp", token) as client:
            await client.list_tools()
        raise Failed(f"{what}: the SDK connected")
    except Failed:
        raise
    except BaseException as e:  # the SDK raises (an exception group from its task group)
        print(f"mcp-client: ok {what}: the SDK cannot connect ({type(e).__name__})", flush=True)
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "probe", "version": "0"}}}
    headers = {"Accept": "application/json, text/event-stream"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx2.AsyncClient(timeout=60) as http:
        r = await http.post(seed["url"] + "/mcp", json=init, headers=headers)
    return r.status_code, r.json()


async def main():
    seed = json.load(open(sys.argv[1]))
    out = {}
    await as_agent(seed, out)
    await as_stranger(seed, out)
    await as_admin(seed)
    status, body = await refused(seed, seed["friend_session"], "a friend's session")
    check(status == 403 and "friend" in body["error"]["message"], f"a friend's session gets 403 ({body})")
    status, body = await refused(seed, seed["friend_link"], "a friend's unopened link")
    check(status == 403, f"a friend's link gets 403 ({body})")
    status, body = await refused(seed, None, "no token")
    check(status == 401, f"no token gets 401 ({body})")
    status, body = await refused(seed, "not-a-token", "a wrong token")
    check(status == 401, f"a wrong token gets 401 ({body})")
    print("mcp-client: result " + json.dumps(out), flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Failed as e:
        print(f"mcp-client: FAILED {e}", flush=True)
        sys.exit(1)
