// A stand-in for the daemon's HTTP side, serving the real assets from crates/daemon/assets under
// the same headers (CSP included) and a scripted API, so the front end can be tested on its own:
// what it renders (hostile data included), what it sends, how it follows the event stream.

import fs from "node:fs";
import http from "node:http";
import path from "node:path";

import { REPO_ROOT } from "./portcullis.js";

const ASSETS = path.join(REPO_ROOT, "crates", "daemon", "assets");

export const CSRF_TOKEN = "mock-csrf-token-0123456789abcdef";

const SECURITY_HEADERS = {
  "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

export function ask(overrides = {}) {
  return {
    id: "0123456789abcdef:1",
    server: "demo",
    server_key: "a".repeat(64),
    method: "tools/call",
    tool: "run_command",
    evidence: ["command ls /tmp"],
    arguments: '{"command":"ls /tmp"}',
    args_hash: "b".repeat(64),
    rule: "confirm-commands",
    reason: "commands need a person's approval",
    timeout_ms: 20000,
    always: "pattern",
    suggested_pattern: "- command:\n    program: [ls]\n",
    ...overrides,
  };
}

export async function startMock() {
  const state = {
    pending: [], // {ask, deadline}
    remembered: [],
    activity: [],
    pins: [],
    requests: [], // every POST: {path, headers, body}
    stallPending: null, // when an array, GET /api/pending answers wait in it (see the test)
    streams: new Set(),
  };

  const json = (res, status, value) => {
    res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": "application/json" });
    res.end(JSON.stringify(value));
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://mock");
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (req.method === "POST") {
        let body = null;
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
        state.requests.push({ path: url.pathname, headers: req.headers, body });
        if (req.headers["x-csrf-token"] !== CSRF_TOKEN || !/^application\/json/.test(req.headers["content-type"] || "")) {
          return json(res, 403, { error: "missing or wrong CSRF token" });
        }
      }
      route(req, res, url, text);
    });
  });

  function route(req, res, url, text) {
    const p = url.pathname;
    if (req.method === "GET" && p === "/") {
      const html = fs.readFileSync(path.join(ASSETS, "index.html"), "utf8").replace("{{CSRF}}", CSRF_TOKEN);
      res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": "text/html; charset=utf-8" });
      return res.end(html);
    }
    if (req.method === "GET" && (p === "/assets/app.js" || p === "/assets/app.css")) {
      const type = p.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
      res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": type });
      return res.end(fs.readFileSync(path.join(ASSETS, path.basename(p))));
    }
    if (req.method === "GET" && p === "/events") {
      res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": "text/event-stream" });
      res.write(": hello\n\n");
      state.streams.add(res);
      res.on("close", () => state.streams.delete(res));
      return undefined;
    }
    if (req.method === "GET" && p === "/api/pending") {
      const snapshot = state.pending.map((e) => ({ ask: e.ask, remaining_ms: Math.max(0, e.deadline - Date.now()) }));
      // A stalled snapshot is taken now and answered when the test releases it.
      if (state.stallPending) return state.stallPending.push(() => json(res, 200, snapshot));
      return json(res, 200, snapshot);
    }
    if (req.method === "POST" && p === "/api/decide") {
      const body = JSON.parse(text);
      if (body.remember && body.remember.scope === "pattern" && /bad/.test(body.remember.pattern)) {
        return json(res, 400, { error: "<pattern>:1:3: condition 1: unknown matcher `bad`" });
      }
      const i = state.pending.findIndex((e) => e.ask.id === body.id);
      if (i < 0) return json(res, 404, { error: "this ask is no longer pending" });
      state.pending.splice(i, 1);
      push("resolved", { id: body.id, outcome: body.decision === "allow" ? "allowed" : "denied" });
      return json(res, 200, { ok: true });
    }
    if (req.method === "GET" && p === "/api/remembered") {
      const q = (url.searchParams.get("q") || "").toLowerCase();
      return json(res, 200, state.remembered.filter((r) => !q || JSON.stringify(r).toLowerCase().includes(q)));
    }
    const revoke = p.match(/^\/api\/remembered\/([^/]+)\/revoke$/);
    if (req.method === "POST" && revoke) {
      const i = state.remembered.findIndex((r) => String(r.id) === revoke[1]);
      if (i < 0) return json(res, 404, { error: "no such remembered decision" });
      state.remembered.splice(i, 1);
      push("remembered", {});
      return json(res, 200, { ok: true });
    }
    if (req.method === "GET" && p === "/api/activity") {
      const verdict = url.searchParams.get("verdict");
      if (url.searchParams.get("since") === "nonsense") return json(res, 400, { error: "--since: cannot read `nonsense`" });
      return json(res, 200, state.activity.filter((r) => !verdict || r.verdict === verdict));
    }
    if (req.method === "GET" && p === "/api/pins") return json(res, 200, state.pins);
    if (req.method === "POST" && p === "/api/pins/accept") {
      const body = JSON.parse(text);
      state.pins = state.pins.filter((x) => !(x.server.key === body.server_key && x.kind === body.kind && x.name === body.name));
      push("pins", {});
      return json(res, 200, { ok: true });
    }
    return json(res, 404, { error: "not found" });
  }

  function push(event, data) {
    for (const res of state.streams) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  function addPending(a, remainingMs = a.timeout_ms) {
    state.pending.push({ ask: a, deadline: Date.now() + remainingMs });
    push("pending", { ask: a, remaining_ms: remainingMs });
  }

  function resolve(id, outcome) {
    state.pending = state.pending.filter((e) => e.ask.id !== id);
    push("resolved", { id, outcome });
  }

  function dropStreams() {
    for (const res of state.streams) res.destroy();
    state.streams.clear();
  }

  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const port = server.address().port;
  return {
    state,
    port,
    url: `http://127.0.0.1:${port}/`,
    push,
    addPending,
    resolve,
    dropStreams,
    posts: (p) => state.requests.filter((r) => r.path === p),
    close: () => new Promise((r) => {
      dropStreams();
      server.closeAllConnections();
      server.close(r);
    }),
  };
}
