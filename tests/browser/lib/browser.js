// Chromium through playwright-core (no bundled browser: Debian's /usr/bin/chromium).

import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

export async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * A fresh context and page. Console errors and page errors (a CSP violation included) are
 * collected in `problems` so a test can assert the page ran cleanly.
 */
export async function openPage(browser, { colorScheme = "light", viewport = { width: 1280, height: 800 } } = {}) {
  const context = await browser.newContext({ colorScheme, viewport });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const text = msg.text();
    if (/favicon/i.test(text) || /favicon/i.test(msg.location().url || "")) return;
    // HTTP errors the tests provoke on purpose (a refused pattern, a gone ask, a dropped stream)
    // are logged by the browser as network failures; what matters here is script errors and CSP
    // violations ("Refused to ...").
    if (text.startsWith("Failed to load resource")) return;
    problems.push(`console error: ${text}`);
  });
  return { context, page, problems };
}

/** Opens the one-time link and waits for the dashboard to be up (the pending view rendered). */
export async function login(page, url) {
  const response = await page.goto(url, { waitUntil: "domcontentloaded" });
  await page.locator("#conn[data-state='live']").waitFor({ timeout: 10000 });
  return response;
}

/** Saves a screenshot of a failed test under tests/browser/screenshots/ (gitignored). */
export async function failureShot(page, name) {
  if (!page) return;
  try {
    const dir = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "screenshots");
    fs.mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, `${name.replace(/[^a-z0-9]+/gi, "-")}.png`), fullPage: true });
  } catch {
    // the page is gone
  }
}
