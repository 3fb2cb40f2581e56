// Sandboxes for one test: a fresh PORTCULLIS_HOME and HOME, the real `portcullis` binary, the
// recording test server, a real MCP client (the official TypeScript SDK) and the daemon's
// dashboard link. Nothing outside the temporary directory is read or written.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, "..", "..", "..");
export const PORTCULLIS_BIN = path.resolve(
  process.env.PORTCULLIS_BIN || path.join(REPO_ROOT, "target", "debug", "portcullis"),
);
export const RECORDING_SERVER = path.resolve(
  process.env.RECORDING_SERVER || path.join(path.dirname(PORTCULLIS_BIN), "recording-server"),
);

/** The configuration most tests use: two `ask` rules and one `deny` rule. */
export const DEFAULT_CONFIG = `rules:
  - name: confirm-commands
    action: ask
    reason: commands need a person's approval
    tool: run_command
    timeout: 20s
  - name: confirm-echo-quickly
    action: ask
    reason: echo is asked about briefly
    tool: echo
    timeout: 2s
  - name: no-stderr
    action: deny
    reason: the stderr tool is not for this test
    tool: stderr
`;

export function checkPrerequisites() {
  for (const [what, file, hint] of [
    ["portcullis binary", PORTCULLIS_BIN, "build it with `cargo build --workspace --bins` or set PORTCULLIS_BIN"],
    ["recording-server", RECORDING_SERVER, "build it with `cargo build --workspace --bins` or set RECORDING_SERVER"],
  ]) {
    try {
      fs.accessSync(file, fs.constants.X_OK);
    } catch {
      throw new Error(`${what} not found at ${file}: ${hint}`);
    }
  }
}

/** A fresh sandbox: PORTCULLIS_HOME (state and config), HOME, the record file. */
export function makeSandbox(config = DEFAULT_CONFIG) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pcb-"));
  const state = path.join(dir, "state");
  const home = path.join(dir, "home");
  fs.mkdirSync(state, { mode: 0o700 });
  fs.mkdirSync(home, { mode: 0o700 });
  const configPath = path.join(state, "config.yaml");
  fs.writeFileSync(configPath, config);
  const recordFile = path.join(dir, "record.jsonl");
  const env = {
    PORTCULLIS_HOME: state,
    PORTCULLIS_CONFIG: configPath,
    HOME: home,
    RECORD_FILE: recordFile,
    PATH: process.env.PATH || "/usr/bin:/bin",
    NO_COLOR: "1",
  };
  if (process.env.RUST_BACKTRACE) env.RUST_BACKTRACE = process.env.RUST_BACKTRACE;
  return { dir, state, home, configPath, recordFile, env, clients: [], stderr: [] };
}

/** What the recording server received so far ("" before it started). */
export function recorded(sandbox) {
  try {
    return fs.readFileSync(sandbox.recordFile, "utf8");
  } catch {
    return "";
  }
}

/** The `tools/call` requests the recording server received, parsed. */
export function recordedCalls(sandbox) {
  const calls = [];
  for (const line of recorded(sandbox).split("\n")) {
    if (!line.trim()) continue;
    try {
      const message = JSON.parse(line);
      if (message && message.method === "tools/call") calls.push(message);
    } catch {
      // not a whole line yet
    }
  }
  return calls;
}

/** `portcullis run --name NAME -- recording-server` behind a connected SDK client. */
export async function connectClient(sandbox, name = "demo") {
  const transport = new StdioClientTransport({
    command: PORTCULLIS_BIN,
    args: ["run", "--name", name, "--", RECORDING_SERVER],
    env: sandbox.env,
    cwd: sandbox.home,
    stderr: "pipe",
  });
  const client = new Client({ name: "portcullis-browser-tests", version: "1.0.0" });
  const stderr = transport.stderr;
  if (stderr) stderr.on("data", (chunk) => sandbox.stderr.push(chunk.toString()));
  await client.connect(transport);
  sandbox.clients.push(client);
  return client;
}

/**
 * Starts a tool call and returns its promise, already settled-safe: the promise never rejects
 * unhandled; `await settled(p)` gives {ok, value} or {ok: false, error}.
 */
export function startCall(client, name, args, timeoutMs = 60000) {
  const promise = client.callTool({ name, arguments: args }, undefined, { timeout: timeoutMs });
  const settled = promise.then(
    (value) => ({ ok: true, value }),
    (error) => ({ ok: false, error }),
  );
  settled.promise = promise;
  return settled;
}

/** Resolves with the call's outcome, or {pending: true} after `ms`. */
export function within(settled, ms) {
  return Promise.race([settled, new Promise((resolve) => setTimeout(() => resolve({ pending: true }), ms))]);
}

/** `portcullis ARGS...` with the sandbox's environment. */
export function portcullis(sandbox, args, { timeout = 20000 } = {}) {
  const result = spawnSync(PORTCULLIS_BIN, args, {
    env: sandbox.env,
    cwd: sandbox.home,
    encoding: "utf8",
    timeout,
  });
  return result;
}

/** A one-time login link from `portcullis dashboard --url` (starts the daemon when needed). */
export function dashboardUrl(sandbox) {
  const result = portcullis(sandbox, ["dashboard", "--url"]);
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`portcullis dashboard --url exited with ${result.status}: ${result.stderr}`);
  }
  const lines = result.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
  const url = lines.find((l) => /^http:\/\/127\.0\.0\.1:\d+\/login\?token=/.test(l));
  if (!url) throw new Error(`no login link in the output of portcullis dashboard --url: ${JSON.stringify(result.stdout)}`);
  return url;
}

function daemonPid(sandbox) {
  for (const file of [path.join(sandbox.state, "daemon", "dashboard.json")]) {
    try {
      const info = JSON.parse(fs.readFileSync(file, "utf8"));
      if (Number.isInteger(info.pid)) return info.pid;
    } catch {
      // not there
    }
  }
  return null;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Closes the clients, stops the daemon (and kills it if it lingers), removes the sandbox. */
export async function cleanup(sandbox) {
  for (const client of sandbox.clients) {
    try {
      await client.close();
    } catch {
      // already gone
    }
  }
  const pid = daemonPid(sandbox);
  portcullis(sandbox, ["daemon", "stop"], { timeout: 10000 });
  if (pid && pid !== process.pid) {
    const deadline = Date.now() + 3000;
    while (alive(pid) && Date.now() < deadline) await sleep(50);
    if (alive(pid)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
  }
  if (!process.env.KEEP_SANDBOX) fs.rmSync(sandbox.dir, { recursive: true, force: true });
  else console.log(`sandbox kept at ${sandbox.dir}`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
