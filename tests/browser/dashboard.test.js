// End to end: a real MCP client (the official TypeScript SDK) calls tools through
// `portcullis run`, an `ask` rule holds the call, and a person decides in the dashboard, driven in
// Chromium. Each test has its own PORTCULLIS_HOME, HOME and daemon.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { failureShot, launchBrowser, login, openPage } from "./lib/browser.js";
import { parseLogin, raw } from "./lib/http.js";
import {
  REPO_ROOT,
  checkPrerequisites,
  cleanup,
  connectClient,
  dashboardUrl,
  makeSandbox,
  recorded,
  recordedCalls,
  sleep,
  startCall,
  within,
} from "./lib/portcullis.js";

let browser;

// For the README's pictures: a rule with an argument condition, so the card shows its evidence.
const SCREENSHOT_CONFIG = `rules:
  - name: confirm-git-push
    action: ask
    reason: pushing changes other people's repositories
    tool: run_command
    timeout: 60s
    arguments:
      - command: { program: [git] }
`;

before(async () => {
  checkPrerequisites();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
});

/**
 * Runs `body` with a sandbox, a connected client and a logged-in page; screenshots the page when
 * the test fails, and always stops the daemon and removes the sandbox.
 */
async function withDashboard(t, body, { colorScheme = "light", loginFirst = true, config } = {}) {
  const sandbox = makeSandbox(config);
  let page;
  try {
    const client = await connectClient(sandbox);
    const url = dashboardUrl(sandbox);
    const opened = await openPage(browser, { colorScheme });
    page = opened.page;
    if (loginFirst) await login(page, url);
    await body({ sandbox, client, url, page, context: opened.context, problems: opened.problems });
    assert.deepEqual(opened.problems, [], "the page ran without console errors or CSP violations");
  } catch (err) {
    await failureShot(page, t.name);
    if (sandbox.stderr.length) err.message += `\n--- wrapper stderr ---\n${sandbox.stderr.join("")}`;
    throw err;
  } finally {
    if (page) await page.context().close().catch(() => {});
    await cleanup(sandbox);
  }
}

/** The pending card for the call whose arguments contain `text`. */
function cardFor(page, text) {
  return page.locator("#pending-list [data-ask-id]").filter({
    has: page.locator('[data-field="arguments"]', { hasText: text }),
  });
}

/** Records every ask id the page ever shows, from now on. */
async function watchAsks(page) {
  await page.evaluate(() => {
    window.__seenAsks = [];
    const list = document.getElementById("pending-list");
    for (const el of list.querySelectorAll("[data-ask-id]")) window.__seenAsks.push(el.dataset.askId);
    new MutationObserver((mutations) => {
      for (const m of mutations) {
        for (const node of m.addedNodes) {
          if (node.nodeType === 1 && node.dataset.askId) window.__seenAsks.push(node.dataset.askId);
        }
      }
    }).observe(list, { childList: true });
  });
}

const seenAsks = (page) => page.evaluate(() => window.__seenAsks.slice());

function resultText(outcome) {
  assert.ok(outcome.ok, `the call succeeded (got ${outcome.error && outcome.error.message})`);
  const content = outcome.value.content || [];
  assert.ok(content.length > 0, "the result has content");
  return content.map((c) => c.text || "").join("");
}

function assertMcpError(outcome, code, pattern) {
  assert.ok(!outcome.ok, `the call was refused (it returned ${JSON.stringify(outcome.value)})`);
  assert.equal(outcome.error.code, code, `error code (message: ${outcome.error.message})`);
  if (pattern) assert.match(outcome.error.message, pattern);
}

describe("the dashboard decides held calls", () => {
  test("a held call appears live and 'Allow once' lets it through", async (t) => {
    await withDashboard(t, async ({ sandbox, client, page }) => {
      await page.locator("#pending-empty").waitFor({ state: "visible" });
      assert.equal(await page.locator("#pending-empty").textContent(), "Nothing is waiting for you.");

      const call = startCall(client, "run_command", { command: "ls /tmp" });
      const card = cardFor(page, "ls /tmp");
      await card.waitFor({ timeout: 10000 });
      assert.equal((await within(call, 0)).pending, true, "the call waits for the person");

      assert.equal(await card.locator('[data-field="server"]').textContent(), "demo");
      assert.equal(await card.locator('[data-field="tool"]').textContent(), "run_command");
      assert.equal(await card.locator('[data-field="method"]').textContent(), "tools/call");
      assert.equal(await card.locator('[data-field="rule"]').textContent(), "confirm-commands");
      assert.equal(await card.locator('[data-field="reason"]').textContent(), "commands need a person's approval");
      assert.match(await card.locator('[data-field="arguments"]').textContent(), /"command":\s*"ls \/tmp"/);
      assert.match(await card.locator('[data-field="countdown"]').textContent(), /\d+ s left|\d+:\d\d left/);
      assert.ok(await page.locator("#pending-empty").isHidden(), "the empty state is gone");
      assert.equal(recordedCalls(sandbox).length, 0, "nothing reached the server before the decision");

      await card.locator('[data-action="allow-once"]').click();
      const outcome = await within(call, 10000);
      assert.ok(!outcome.pending, "the call resolved after 'Allow once'");
      const text = resultText(outcome);
      assert.deepEqual(JSON.parse(text), { command: "ls /tmp" }, "the server's own answer came back");

      const calls = recordedCalls(sandbox);
      assert.equal(calls.length, 1, "the server received the call once");
      assert.equal(calls[0].params.name, "run_command");
      assert.deepEqual(calls[0].params.arguments, { command: "ls /tmp" });

      await card.waitFor({ state: "detached", timeout: 5000 });
      await page.locator("#pending-empty").waitFor({ state: "visible" });
    });
  });

  test("'Deny' refuses the call with -32090 naming the rule; the server never sees it", async (t) => {
    await withDashboard(t, async ({ sandbox, client, page }) => {
      const call = startCall(client, "run_command", { command: "rm -rf /tmp/nothing-here" });
      const card = cardFor(page, "rm -rf /tmp/nothing-here");
      await card.waitFor({ timeout: 10000 });
      await card.locator('[data-action="deny"]').click();

      const outcome = await within(call, 10000);
      assert.ok(!outcome.pending, "the call ended after 'Deny'");
      assertMcpError(outcome, -32090, /confirm-commands/);
      await card.waitFor({ state: "detached", timeout: 5000 });

      assert.ok(recorded(sandbox).length > 0, "the server did receive the handshake (the check can fail)");
      assert.ok(!recorded(sandbox).includes("run_command"), "the denied call never reached the server");
      assert.ok(!recorded(sandbox).includes("nothing-here"));
    });
  });

  test("nobody deciding: the call times out with -32091 and the card goes away", async (t) => {
    await withDashboard(t, async ({ sandbox, client, page }) => {
      const started = Date.now();
      const call = startCall(client, "echo", { text: "is anybody there" });
      const card = cardFor(page, "is anybody there");
      await card.waitFor({ timeout: 10000 });
      assert.equal(await card.locator('[data-field="rule"]').textContent(), "confirm-echo-quickly");

      const outcome = await within(call, 10000);
      assert.ok(!outcome.pending, "the call ended by itself");
      const waited = Date.now() - started;
      assertMcpError(outcome, -32091, /nobody approved/i);
      assert.match(outcome.error.message, /\b2 ?s\b|2 seconds/, "the message says how long it waited");
      assert.ok(waited >= 1800, `the call waited for the rule's 2 s (it took ${waited} ms)`);

      await card.waitFor({ state: "detached", timeout: 5000 });
      assert.ok(!recorded(sandbox).includes("is anybody there"), "the server never saw it");
    });
  });

  test("'Always allow' exactly these arguments: the same call passes unasked, others still ask, revoking asks again", async (t) => {
    await withDashboard(t, async ({ sandbox, client, page }) => {
      const first = startCall(client, "run_command", { command: "git status" });
      const card = cardFor(page, "git status");
      await card.waitFor({ timeout: 10000 });

      await card.locator('[data-action="always-allow"]').click();
      const exact = card.locator('input[name="scope"][value="exact"]');
      await exact.waitFor();
      assert.ok(await exact.isChecked(), "'Exactly these arguments' is the default");
      assert.equal(await card.locator('[data-field="expiry"]').inputValue(), "", "no expiry by default");
      await card.locator('[data-action="confirm"]').click();

      const firstOutcome = await within(first, 10000);
      assert.ok(!firstOutcome.pending, "the call resolved after 'Always allow'");
      assert.deepEqual(JSON.parse(resultText(firstOutcome)), { command: "git status" });
      await card.waitFor({ state: "detached", timeout: 5000 });

      // The same call again: remembered, so it passes without a card. (Asked, it would wait 20 s.)
      await watchAsks(page);
      const again = await within(startCall(client, "run_command", { command: "git status" }), 8000);
      assert.ok(!again.pending, "the remembered call was not held");
      assert.deepEqual(JSON.parse(resultText(again)), { command: "git status" });
      await sleep(500);
      assert.deepEqual(await seenAsks(page), [], "the remembered call never appeared in the dashboard");
      assert.equal(recordedCalls(sandbox).length, 2);

      // Other arguments are asked about again.
      const other = startCall(client, "run_command", { command: "git push --force" });
      const otherCard = cardFor(page, "git push --force");
      await otherCard.waitFor({ timeout: 10000 });
      await otherCard.locator('[data-action="deny"]').click();
      assertMcpError(await within(other, 10000), -32090, /confirm-commands/);
      assert.equal(recordedCalls(sandbox).length, 2, "the denied call did not reach the server");

      // The Remembered view lists the decision.
      await page.locator('nav [data-view="remembered"]').click();
      const rows = page.locator("#remembered-body tr[data-remembered-id]");
      await rows.first().waitFor({ timeout: 5000 });
      assert.equal(await rows.count(), 1, "one remembered decision");
      const row = rows.first();
      assert.equal(await row.locator('[data-field="decision"]').textContent(), "allow");
      assert.equal(await row.locator('[data-field="server"]').textContent(), "demo");
      assert.equal(await row.locator('[data-field="tool"]').textContent(), "run_command");
      assert.match(await row.locator('[data-field="scope"]').textContent(), /exactly these arguments/);

      // Searching narrows the list (the search goes to the daemon).
      await page.locator("#remembered-q").fill("no-such-tool-anywhere");
      await rows.first().waitFor({ state: "detached", timeout: 5000 });
      await page.locator("#remembered-q").fill("run_command");
      await rows.first().waitFor({ timeout: 5000 });

      // Revoking: the row goes, and the same call is asked about again.
      await rows.first().locator('[data-action="revoke"]').click();
      await rows.first().waitFor({ state: "detached", timeout: 5000 });
      await page.locator('nav [data-view="pending"]').click();
      const revoked = startCall(client, "run_command", { command: "git status" });
      const askedAgain = cardFor(page, "git status");
      await askedAgain.waitFor({ timeout: 10000 });
      await askedAgain.locator('[data-action="allow-once"]').click();
      assert.deepEqual(JSON.parse(resultText(await within(revoked, 10000))), { command: "git status" });
      assert.equal(recordedCalls(sandbox).length, 3);
    });
  });

  test("'Always allow' with a pattern: a pattern that does not compile is refused inline, the suggestion is saved", async (t) => {
    await withDashboard(t, async ({ sandbox, client, page }) => {
      const call = startCall(client, "run_command", { command: "ls /tmp" });
      const card = cardFor(page, "ls /tmp");
      await card.waitFor({ timeout: 10000 });
      await card.locator('[data-action="always-allow"]').click();

      const textarea = card.locator('[data-field="pattern"]');
      assert.ok(await textarea.isHidden(), "the pattern is hidden until chosen");
      await card.locator('input[name="scope"][value="pattern"]').check();
      await textarea.waitFor({ state: "visible" });
      const suggested = await textarea.inputValue();
      assert.ok(suggested.trim().length > 0, "the pattern is prefilled with the suggestion");

      await textarea.fill("- this is: [not, a, condition");
      await card.locator('[data-action="confirm"]').click();
      const error = card.locator('[data-field="error"]');
      await error.waitFor({ state: "visible", timeout: 5000 });
      assert.ok((await error.textContent()).trim().length > 0, "the daemon's reason is shown");
      assert.equal((await within(call, 300)).pending, true, "a refused pattern decides nothing");
      assert.equal(await card.count(), 1, "the card stays");

      await textarea.fill(suggested);
      await card.locator('[data-action="confirm"]').click();
      assert.deepEqual(JSON.parse(resultText(await within(call, 10000))), { command: "ls /tmp" });
      await card.waitFor({ state: "detached", timeout: 5000 });

      await watchAsks(page);
      const again = await within(startCall(client, "run_command", { command: "ls /tmp" }), 8000);
      assert.ok(!again.pending, "the call the pattern covers passes unasked");
      assert.deepEqual(await seenAsks(page), []);

      await page.locator('nav [data-view="remembered"]').click();
      const row = page.locator("#remembered-body tr[data-remembered-id]").first();
      await row.waitFor({ timeout: 5000 });
      assert.equal((await row.locator('[data-field="scope"] pre').textContent()).trim(), suggested.trim());
      assert.equal(recordedCalls(sandbox).length, 2);
    });
  });

  test("the Activity view shows the audit trail and new records live", async (t) => {
    await withDashboard(t, async ({ client, page }) => {
      await page.locator('nav [data-view="activity"]').click();
      await page.locator("#view-activity").waitFor({ state: "visible" });
      // Loaded (possibly empty) before the call below.
      await page.waitForFunction(() => !document.getElementById("activity-empty").hidden
        || document.querySelectorAll("#activity-body tr").length > 0);

      const denied = await within(startCall(client, "stderr", { lines: ["hello"] }), 10000);
      assertMcpError(denied, -32090, /no-stderr/);

      const row = page.locator("#activity-body tr[data-record-id]").filter({
        has: page.locator('[data-field="rule"]', { hasText: "no-stderr" }),
      });
      await row.first().waitFor({ timeout: 10000 });
      assert.equal(await row.first().locator('[data-field="verdict"]').textContent(), "deny");
      assert.equal(await row.first().locator('[data-field="server"]').textContent(), "demo");
      assert.equal(await row.first().locator('[data-field="target"]').textContent(), "stderr");

      // Filtering is done by the daemon: only `ask` records now, none of which is this one.
      await page.locator('[data-filter="verdict"]').selectOption("ask");
      await row.first().waitFor({ state: "detached", timeout: 5000 });
      const verdicts = await page.locator('#activity-body [data-field="verdict"]').allTextContents();
      assert.ok(verdicts.every((v) => v === "ask"), `only ask records: ${verdicts}`);
      await page.locator('[data-filter="verdict"]').selectOption("deny");
      await row.first().waitFor({ timeout: 5000 });
    });
  });
});

describe("the dashboard refuses what does not come from it", () => {
  test("wrong Host, foreign Origin, no CSRF token, no session, replayed login: all refused", async (t) => {
    await withDashboard(t, async ({ url, page, context }) => {
      const { port, origin } = parseLogin(url);

      // The page is the dashboard, logged in, with the CSRF token filled in.
      const csrf = await page.locator('meta[name="csrf-token"]').getAttribute("content");
      assert.ok(csrf && csrf.length >= 16 && !csrf.includes("{{"), `a CSRF token in the page: ${csrf}`);

      const cookies = await context.cookies(origin);
      const session = cookies.find((c) => c.name === "portcullis_session");
      assert.ok(session, `the session cookie is set (cookies: ${cookies.map((c) => c.name)})`);
      assert.equal(session.httpOnly, true, "HttpOnly");
      assert.equal(session.sameSite, "Strict", "SameSite=Strict");
      assert.equal(session.path, "/");
      const cookie = `portcullis_session=${session.value}`;
      assert.equal(await page.evaluate(() => document.cookie), "", "scripts cannot read the session");

      const good = { Origin: origin, "X-CSRF-Token": csrf, "Content-Type": "application/json", Cookie: cookie };
      const decide = { id: "no-such-session:1", decision: "allow", remember: null, expires_in_s: null };

      // Controls: with everything right, the requests get through the checks.
      const pendingOk = await raw(port, { path: "/api/pending", headers: { Cookie: cookie } });
      assert.equal(pendingOk.status, 200, pendingOk.body);
      assert.deepEqual(JSON.parse(pendingOk.body), []);
      const decideOk = await raw(port, { method: "POST", path: "/api/decide", headers: good, body: decide });
      assert.equal(decideOk.status, 404, `an unknown ask is 404 once past the checks: ${decideOk.body}`);
      assert.ok(typeof JSON.parse(decideOk.body).error === "string");
      const localhost = await raw(port, { path: "/api/pending", headers: { Host: `localhost:${port}`, Cookie: cookie } });
      assert.equal(localhost.status, 200, "localhost:PORT is a valid Host too");

      // DNS rebinding: another Host is refused, session or not.
      for (const host of ["evil.example", `evil.example:${port}`, `127.0.0.1:${port + 1}`]) {
        const r = await raw(port, { path: "/api/pending", headers: { Host: host, Cookie: cookie } });
        assert.equal(r.status, 421, `Host ${host}: ${r.status} ${r.body}`);
        const home = await raw(port, { path: "/", headers: { Host: host, Cookie: cookie } });
        assert.equal(home.status, 421, `GET / with Host ${host}`);
      }

      // Cross-site requests: a foreign or missing Origin, a missing or wrong CSRF token.
      const foreign = await raw(port, { method: "POST", path: "/api/decide", headers: { ...good, Origin: "http://evil.example" }, body: decide });
      assert.equal(foreign.status, 403, `foreign Origin: ${foreign.body}`);
      const otherPort = await raw(port, { method: "POST", path: "/api/decide", headers: { ...good, Origin: `http://127.0.0.1:${port + 1}` }, body: decide });
      assert.equal(otherPort.status, 403, "an Origin on another port is foreign too");
      const { Origin: _o, ...noOrigin } = good;
      const missingOrigin = await raw(port, { method: "POST", path: "/api/decide", headers: noOrigin, body: decide });
      assert.equal(missingOrigin.status, 403, `no Origin: ${missingOrigin.body}`);
      const { "X-CSRF-Token": _c, ...noCsrf } = good;
      const missingCsrf = await raw(port, { method: "POST", path: "/api/decide", headers: noCsrf, body: decide });
      assert.equal(missingCsrf.status, 403, `no X-CSRF-Token: ${missingCsrf.body}`);
      const wrongCsrf = await raw(port, { method: "POST", path: "/api/decide", headers: { ...good, "X-CSRF-Token": `${csrf}x` }, body: decide });
      assert.equal(wrongCsrf.status, 403, "a wrong X-CSRF-Token");
      const revoke = await raw(port, { method: "POST", path: "/api/remembered/1/revoke", headers: noCsrf, body: {} });
      assert.equal(revoke.status, 403, "every POST needs the token, not just decide");
      const formPost = await raw(port, {
        method: "POST", path: "/api/decide",
        headers: { ...good, "Content-Type": "text/plain" }, body: JSON.stringify(decide),
      });
      assert.ok([400, 415].includes(formPost.status), `a non-JSON body is refused: ${formPost.status}`);

      // No session.
      for (const p of ["/api/pending", "/api/remembered", "/api/activity", "/api/pins", "/events"]) {
        const r = await raw(port, { path: p });
        assert.equal(r.status, 401, `GET ${p} without the cookie: ${r.status}`);
      }
      const forged = await raw(port, { path: "/api/pending", headers: { Cookie: "portcullis_session=forged" } });
      assert.equal(forged.status, 401, "a made-up session");
      const postNoSession = await raw(port, { method: "POST", path: "/api/decide", headers: { ...good, Cookie: "" }, body: decide });
      assert.ok([401, 403].includes(postNoSession.status), `POST without the session: ${postNoSession.status}`);

      // Security headers, on the page, the API, the assets and a refusal.
      const home = await raw(port, { path: "/", headers: { Cookie: cookie } });
      assert.equal(home.status, 200);
      assert.ok(home.body.includes(`content="${csrf}"`), "the page carries the session's CSRF token");
      const asset = await raw(port, { path: "/assets/app.js", headers: { Cookie: cookie } });
      assert.equal(asset.status, 200);
      assert.match(asset.headers["content-type"] || "", /javascript/);
      const css = await raw(port, { path: "/assets/app.css", headers: { Cookie: cookie } });
      assert.match(css.headers["content-type"] || "", /text\/css/);
      for (const [what, r] of [["GET /", home], ["GET /api/pending", pendingOk], ["app.js", asset], ["403", foreign], ["401", forged]]) {
        const csp = r.headers["content-security-policy"] || "";
        assert.match(csp, /frame-ancestors 'none'/, `${what}: CSP ${csp}`);
        assert.match(csp, /default-src 'self'/, `${what}: CSP ${csp}`);
        assert.equal(r.headers["x-frame-options"], "DENY", `${what}: X-Frame-Options`);
        assert.equal(r.headers["x-content-type-options"], "nosniff", `${what}: nosniff`);
      }
      assert.equal(home.headers["referrer-policy"], "no-referrer");
      assert.match(home.headers["cache-control"] || "", /no-store/);

      // The login link worked once; a second browser opening it gets nothing.
      const second = await browser.newContext();
      try {
        const replay = await second.newPage();
        const response = await replay.goto(url);
        assert.equal(response.status(), 403, "a replayed login link is refused");
        assert.match(await replay.locator("body").textContent(), /portcullis dashboard/);
        const replayCookies = await second.cookies(origin);
        assert.ok(!replayCookies.some((c) => c.name === "portcullis_session"), "and no session is given");
        const unknown = await replay.goto(`${origin}/login?token=${"0".repeat(64)}`);
        assert.equal(unknown.status(), 403, "an unknown token is refused");
        const stillOut = await replay.goto(`${origin}/api/pending`);
        assert.equal(stillOut.status(), 401);
      } finally {
        await second.close();
      }

      // And the first browser is still logged in.
      const status = await page.evaluate(async () => (await fetch("/api/pending", { credentials: "same-origin" })).status);
      assert.equal(status, 200);
    });
  });
});

describe("screenshots for the README", () => {
  test("pending approval, light and dark", { skip: process.env.PORTCULLIS_SCREENSHOTS !== "1" && "set PORTCULLIS_SCREENSHOTS=1" }, async (t) => {
    await withDashboard(t, async ({ client, page }) => {
      const images = path.join(REPO_ROOT, "docs", "images");
      fs.mkdirSync(images, { recursive: true });
      const call = startCall(client, "run_command", { command: "git push origin main --force-with-lease" });
      const card = cardFor(page, "git push origin main");
      await card.waitFor({ timeout: 10000 });
      await page.mouse.move(0, 0);
      await page.screenshot({ path: path.join(images, "dashboard-pending.png") });
      await page.emulateMedia({ colorScheme: "dark" });
      await sleep(100);
      await page.screenshot({ path: path.join(images, "dashboard-dark.png") });
      await page.emulateMedia({ colorScheme: "light" });
      await card.locator('[data-action="deny"]').click();
      assertMcpError(await within(call, 10000), -32090);
    }, { config: SCREENSHOT_CONFIG });
  });
});
