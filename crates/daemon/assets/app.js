// Portcullis dashboard. Vanilla JS, no dependencies; served under a CSP that forbids inline code.
// Every piece of data reaches the page through textContent or attribute setters: never as HTML.
"use strict";

(() => {
  const CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const VIEWS = ["pending", "remembered", "activity", "pins"];
  const VERDICTS = ["allow", "log", "warn", "redact", "ask", "deny", "quarantine"];
  const EXPIRIES = [
    ["", "never"],
    ["3600", "1 hour"],
    ["86400", "1 day"],
    ["604800", "7 days"],
    ["2592000", "30 days"],
  ];

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  // h("div", {class: "x", "data-id": id}, "text", child, ...): builds elements; strings become
  // text nodes, null/undefined/false children are skipped.
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [key, value] of Object.entries(attrs)) {
        if (value === null || value === undefined || value === false) continue;
        if (key === "text") el.textContent = String(value);
        else if (key === "class") el.className = value;
        else if (key === "hidden") el.hidden = Boolean(value);
        else if (key === "checked") el.checked = Boolean(value);
        else if (key === "disabled") el.disabled = Boolean(value);
        else if (key === "value") el.value = String(value);
        else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
        else el.setAttribute(key, value === true ? "" : String(value));
      }
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
  }

  // ---- HTTP -------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(path, { method = "GET", body } = {}) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRF-Token"] = CSRF;
      init.body = JSON.stringify(body === undefined ? {} : body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      throw new ApiError(0, "The dashboard could not reach the Portcullis daemon. Is it still running?");
    }
    let data = null;
    const text = await response.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (_) {
        data = null;
      }
    }
    if (response.status === 401) {
      sessionEnded();
    }
    if (!response.ok) {
      const message = (data && typeof data.error === "string" && data.error) || defaultError(response.status, text);
      throw new ApiError(response.status, message);
    }
    return data;
  }

  function defaultError(status, text) {
    if (status === 401) return "Your dashboard session has ended. Run `portcullis dashboard` for a new link.";
    if (status === 403) return "Refused by the daemon (403). Reload the page, or run `portcullis dashboard` again.";
    if (status === 404) return "Not found (404).";
    const snippet = (text || "").trim().slice(0, 200);
    return `The daemon answered ${status}${snippet ? `: ${snippet}` : "."}`;
  }

  // ---- banner and connection indicator ------------------------------------------------------

  const banner = $("#banner");
  let ended = false;

  function showBanner(message) {
    banner.textContent = message;
    banner.hidden = false;
  }

  function sessionEnded() {
    if (ended) return;
    ended = true;
    showBanner("Your dashboard session has ended (or the daemon restarted). Run `portcullis dashboard` for a new link.");
    setConn("offline", "signed out");
    if (events) events.close();
  }

  const conn = $("#conn");
  function setConn(state, text) {
    conn.dataset.state = state;
    $(".conn-text", conn).textContent = text;
    conn.title = {
      live: "Live: updates arrive as they happen",
      reconnecting: "Reconnecting to the daemon…",
      connecting: "Connecting to the daemon…",
      offline: "Not connected",
    }[state] || "";
  }

  // ---- time formatting ----------------------------------------------------------------------

  function toDate(value) {
    if (value === null || value === undefined || value === "") return null;
    if (typeof value === "number") return new Date(value > 1e12 ? value : value * 1000);
    if (/^\d+$/.test(String(value))) return toDate(Number(value));
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? null : d;
  }

  const pad = (n, w = 2) => String(n).padStart(w, "0");

  function fmtTime(value, empty = "—") {
    if (value === null || value === undefined || value === "") return empty;
    const d = toDate(value);
    if (!d) return String(value);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  function fmtClock(value) {
    const d = toDate(value);
    if (!d) return value === null || value === undefined ? "—" : String(value);
    const today = new Date();
    const sameDay = d.toDateString() === today.toDateString();
    const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
    return sameDay ? clock : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock}`;
  }

  function fmtRemaining(ms) {
    const s = Math.max(0, Math.ceil(ms / 1000));
    if (s >= 3600) return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
    if (s >= 60) return `${Math.floor(s / 60)}:${pad(s % 60)}`;
    return `${s} s`;
  }

  function isoTitle(value) {
    const d = toDate(value);
    return d ? d.toISOString() : null;
  }

  // ---- views --------------------------------------------------------------------------------

  let current = null;
  const loaded = { remembered: false, activity: false, pins: false };
  const stale = { remembered: true, activity: true, pins: true };

  function showView(name) {
    if (!VIEWS.includes(name)) name = "pending";
    current = name;
    for (const view of VIEWS) {
      const section = $(`#view-${view}`);
      section.hidden = view !== name;
    }
    for (const link of $$("nav [data-view]")) {
      if (link.dataset.view === name) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    if (name !== "pending" && stale[name]) refresh(name);
  }

  function refresh(name) {
    stale[name] = false;
    if (name === "pending") return loadPending();
    if (name === "remembered") return loadRemembered();
    if (name === "activity") return loadActivity();
    if (name === "pins") return loadPins();
    return undefined;
  }

  // Something changed for a view: reload it if it is showing, else when it next is.
  function invalidate(name) {
    if (current === name) refresh(name);
    else stale[name] = true;
  }

  window.addEventListener("hashchange", () => showView(location.hash.slice(1)));

  // ---- pending ------------------------------------------------------------------------------

  const pendingList = $("#pending-list");
  const pendingEmpty = $("#pending-empty");
  // id -> {ask, deadline, card, countdown, settled, epoch}
  const pending = new Map();
  // The live stream and a snapshot from /api/pending race: an ask that arrives (or is resolved)
  // on the stream while a snapshot is on its way must not be undone by that older snapshot.
  // Every change the stream brings gets the next epoch; a snapshot only speaks for what was
  // known before it was asked for.
  let epoch = 0;
  const resolvedAt = new Map(); // id -> epoch of its `resolved` event
  const RESOLVED_KEPT = 1000;

  async function loadPending() {
    const asked = epoch;
    try {
      const items = await api("/api/pending");
      const seen = new Set();
      for (const item of items || []) {
        if (!item || !item.ask) continue;
        seen.add(item.ask.id);
        if ((resolvedAt.get(item.ask.id) || 0) > asked) continue;
        upsertPending(item.ask, item.remaining_ms, asked);
      }
      for (const [id, entry] of Array.from(pending)) {
        if (!seen.has(id) && entry.epoch <= asked) removePending(id);
      }
    } catch (err) {
      if (err.status !== 401) showBanner(err.message);
    }
  }

  /** Shows an ask; `known` is the epoch it belongs to (a new one for a stream event). */
  function upsertPending(ask, remainingMs, known = ++epoch) {
    const remaining = Number.isFinite(remainingMs) ? remainingMs : ask.timeout_ms || 0;
    const entry = pending.get(ask.id);
    if (entry) {
      entry.deadline = Date.now() + remaining;
      entry.epoch = Math.max(entry.epoch, known);
      tickOne(entry);
      return;
    }
    const fresh = { ask, deadline: Date.now() + remaining, settled: false, epoch: known };
    fresh.card = pendingCard(fresh);
    pending.set(ask.id, fresh);
    pendingList.append(fresh.card);
    tickOne(fresh);
    updatePendingCount();
  }

  function removePending(id) {
    const entry = pending.get(id);
    if (!entry) return;
    pending.delete(id);
    entry.card.remove();
    updatePendingCount();
  }

  function updatePendingCount() {
    const n = pending.size;
    pendingEmpty.hidden = n > 0;
    const badge = $("#pending-count");
    badge.textContent = String(n);
    badge.hidden = n === 0;
    document.title = n > 0 ? `(${n}) Portcullis` : "Portcullis";
  }

  function tickOne(entry) {
    const left = entry.deadline - Date.now();
    if (left <= 0) {
      entry.countdown.textContent = "timed out";
      entry.card.dataset.state = "timed-out";
      for (const button of $$("button", entry.card)) button.disabled = true;
    } else {
      entry.countdown.textContent = `${fmtRemaining(left)} left`;
      entry.card.classList.toggle("urgent", left <= 10000);
    }
  }

  setInterval(() => {
    for (const entry of pending.values()) tickOne(entry);
  }, 1000);

  function kv(label, ...value) {
    return [h("dt", { text: label }), h("dd", null, ...value)];
  }

  function pendingCard(entry) {
    const ask = entry.ask;
    const countdown = h("span", { class: "countdown", "data-field": "countdown" });
    entry.countdown = countdown;
    const status = h("p", { class: "card-status", "data-field": "status", role: "status", hidden: true });

    const evidence = Array.isArray(ask.evidence) && ask.evidence.length
      ? h("ul", { class: "evidence", "data-field": "evidence" }, ask.evidence.map((e) => h("li", null, h("code", { text: e }))))
      : h("span", { class: "muted", text: "none" });

    const actions = h("div", { class: "actions" },
      h("button", { type: "button", class: "btn btn-allow", "data-action": "allow-once", text: "Allow once" }),
      h("button", { type: "button", class: "btn btn-deny", "data-action": "deny", text: "Deny" }),
    );
    if (ask.always !== "never") {
      actions.append(
        h("button", { type: "button", class: "btn btn-quiet", "data-action": "always-allow", text: "Always allow…", "aria-expanded": "false" }),
        h("button", { type: "button", class: "btn btn-quiet", "data-action": "always-deny", text: "Always deny…", "aria-expanded": "false" }),
      );
    }

    const card = h("article", { class: "card pending-card", "data-ask-id": ask.id, "data-state": "pending" },
      h("header", { class: "card-head" },
        h("div", { class: "card-title" },
          h("span", { class: "server", "data-field": "server", text: ask.server }),
          h("span", { class: "sep", "aria-hidden": "true", text: "›" }),
          h("span", { class: "tool", "data-field": "tool", text: ask.tool }),
          h("span", { class: "method", "data-field": "method", text: ask.method }),
        ),
        countdown,
      ),
      h("dl", { class: "facts" },
        kv("Rule", h("span", { class: "rule", "data-field": "rule", text: ask.rule })),
        kv("Reason", h("span", { "data-field": "reason", text: ask.reason || "—" })),
        kv("Evidence", evidence),
      ),
      h("div", { class: "args-block" },
        h("div", { class: "label", text: "Arguments" }),
        h("pre", { class: "args", "data-field": "arguments", text: ask.arguments || "{}" }),
      ),
      actions,
      h("div", { class: "editor-slot" }),
      status,
    );

    card.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (!button || !card.contains(button) || button.disabled) return;
      const action = button.dataset.action;
      if (action === "allow-once") decide(entry, "allow", null, null);
      else if (action === "deny") decide(entry, "deny", null, null);
      else if (action === "always-allow") toggleEditor(entry, "allow", button);
      else if (action === "always-deny") toggleEditor(entry, "deny", button);
    });
    return card;
  }

  function toggleEditor(entry, decision, button) {
    const slot = $(".editor-slot", entry.card);
    const open = $(".scope-editor", slot);
    const sameOpen = open && open.dataset.decision === decision;
    clear(slot);
    for (const b of $$('[data-action^="always-"]', entry.card)) b.setAttribute("aria-expanded", "false");
    if (sameOpen) return;
    button.setAttribute("aria-expanded", "true");
    slot.append(scopeEditor(entry, decision));
    const first = $('input[name="scope"]:checked', slot);
    if (first) first.focus();
  }

  let editorSeq = 0;
  function scopeEditor(entry, decision) {
    const ask = entry.ask;
    const uid = `ed${++editorSeq}`;
    const allowsPattern = ask.always === "pattern";
    const verb = decision === "allow" ? "allow" : "deny";

    const exactRadio = h("input", { type: "radio", name: "scope", value: "exact", id: `${uid}-exact`, checked: true });
    const patternRadio = allowsPattern
      ? h("input", { type: "radio", name: "scope", value: "pattern", id: `${uid}-pattern` })
      : null;
    const textarea = allowsPattern
      ? h("textarea", {
          "data-field": "pattern", id: `${uid}-text`, rows: "5", spellcheck: "false",
          "aria-label": "Pattern: argument conditions in the policy language",
          value: ask.suggested_pattern || "",
        })
      : null;
    if (textarea) textarea.value = ask.suggested_pattern || "";
    const patternBox = allowsPattern
      ? h("div", { class: "pattern-box", hidden: true },
          textarea,
          h("p", { class: "hint small" },
            "Argument conditions in the policy language's matcher syntax, e.g. ",
            h("code", { text: "path: {under: [~/project]}" }),
            ". Write ", h("code", { text: "any" }), " only if you mean every call of this tool."),
        )
      : null;

    const expiry = h("select", { "data-field": "expiry", id: `${uid}-expiry` },
      EXPIRIES.map(([value, label]) => h("option", { value, text: label })));
    const error = h("p", { class: "error", "data-field": "error", role: "alert", hidden: true });
    const confirm = h("button", {
      type: "submit", class: `btn ${decision === "allow" ? "btn-allow" : "btn-deny"}`, "data-action": "confirm",
      text: decision === "allow" ? "Always allow" : "Always deny",
    });
    const cancel = h("button", { type: "button", class: "btn btn-quiet", "data-action": "cancel", text: "Cancel" });

    const form = h("form", { class: "scope-editor", "data-decision": decision, novalidate: true },
      h("fieldset", null,
        h("legend", { text: `Always ${verb} ${ask.tool} on ${ask.server}, for:` }),
        h("label", { class: "choice", for: `${uid}-exact` }, exactRadio,
          h("span", null, "Exactly these arguments ", h("span", { class: "muted mono", text: shortHash(ask.args_hash) }))),
        allowsPattern ? h("label", { class: "choice", for: `${uid}-pattern` }, patternRadio, h("span", { text: "A pattern" })) : null,
        patternBox,
      ),
      h("label", { class: "field inline", for: `${uid}-expiry` }, h("span", { class: "label", text: "Forget it after" }), expiry),
      h("div", { class: "actions" }, confirm, cancel),
      error,
    );

    form.addEventListener("change", () => {
      if (patternBox) patternBox.hidden = !patternRadio.checked;
      error.hidden = true;
    });
    cancel.addEventListener("click", () => {
      form.remove();
      for (const b of $$('[data-action^="always-"]', entry.card)) b.setAttribute("aria-expanded", "false");
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      let remember = { scope: "exact" };
      if (patternRadio && patternRadio.checked) {
        const pattern = textarea.value;
        if (!pattern.trim()) {
          error.textContent = "Write a pattern, or choose “Exactly these arguments”.";
          error.hidden = false;
          textarea.focus();
          return;
        }
        remember = { scope: "pattern", pattern };
      }
      const expiresIn = expiry.value ? Number(expiry.value) : null;
      decide(entry, decision, remember, expiresIn, error);
    });
    return form;
  }

  function shortHash(hash) {
    if (!hash) return "";
    const text = String(hash);
    return text.length > 12 ? text.slice(0, 12) : text;
  }

  async function decide(entry, decision, remember, expiresIn, errorEl) {
    if (entry.settled) return;
    const buttons = $$("button", entry.card);
    for (const b of buttons) b.disabled = true;
    const status = $('[data-field="status"]', entry.card);
    status.hidden = true;
    if (errorEl) errorEl.hidden = true;
    try {
      await api("/api/decide", {
        method: "POST",
        body: { id: entry.ask.id, decision, remember, expires_in_s: expiresIn },
      });
      entry.settled = true;
      entry.card.dataset.state = decision === "allow" ? "allowed" : "denied";
      status.textContent = decision === "allow" ? "Allowed." : "Denied.";
      status.hidden = false;
      // The `resolved` event removes it too; do not wait for it if the stream is down.
      setTimeout(() => removePending(entry.ask.id), 600);
    } catch (err) {
      for (const b of buttons) b.disabled = false;
      tickOne(entry);
      if (err.status === 404) {
        entry.settled = true;
        status.textContent = "This call is no longer waiting (decided elsewhere, timed out or withdrawn).";
        status.hidden = false;
        for (const b of buttons) b.disabled = true;
        setTimeout(() => removePending(entry.ask.id), 2500);
        return;
      }
      if (errorEl) {
        errorEl.textContent = err.message;
        errorEl.hidden = false;
      } else {
        status.textContent = err.message;
        status.hidden = false;
        status.classList.add("error");
      }
    }
  }

  // ---- remembered ---------------------------------------------------------------------------

  const rememberedBody = $("#remembered-body");
  const rememberedQ = $("#remembered-q");
  let rememberedSeq = 0;
  let searchTimer = null;

  rememberedQ.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(loadRemembered, 250);
  });

  async function loadRemembered() {
    const seq = ++rememberedSeq;
    const errorEl = $("#remembered-error");
    const q = rememberedQ.value.trim();
    try {
      const rows = await api(`/api/remembered${q ? `?q=${encodeURIComponent(q)}` : ""}`);
      if (seq !== rememberedSeq) return;
      errorEl.hidden = true;
      clear(rememberedBody);
      for (const row of rows || []) rememberedBody.append(rememberedRow(row));
      $("#remembered-empty").hidden = (rows || []).length > 0;
      $("#remembered-empty").textContent = q ? "Nothing remembered matches your search." : "No remembered decisions.";
      loaded.remembered = true;
    } catch (err) {
      if (seq !== rememberedSeq) return;
      errorEl.textContent = err.message;
      errorEl.hidden = false;
    }
  }

  function rememberedRow(row) {
    const scope = row.scope === "pattern"
      ? h("pre", { class: "pattern", text: row.pattern || "" })
      : h("span", null, "exactly these arguments ", h("code", { class: "muted", title: row.args_hash || null, text: shortHash(row.args_hash) }));
    const revoke = h("button", { type: "button", class: "btn btn-small btn-quiet", "data-action": "revoke", text: "Revoke" });
    const tr = h("tr", { "data-remembered-id": row.id },
      h("td", null, h("span", { class: `badge badge-${row.decision === "deny" ? "deny" : "allow"}`, "data-field": "decision", text: row.decision })),
      h("td", { "data-field": "server", text: row.server, title: row.server_key || null }),
      h("td", { "data-field": "tool", text: row.tool }),
      h("td", { "data-field": "scope", class: "scope-cell" }, scope),
      h("td", { class: "nowrap", title: isoTitle(row.created_at), text: fmtTime(row.created_at) }),
      h("td", { class: "nowrap", title: isoTitle(row.expires_at), text: fmtTime(row.expires_at, "never") }),
      h("td", { text: row.note || "" }),
      h("td", { class: "row-actions" }, revoke),
    );
    revoke.addEventListener("click", async () => {
      revoke.disabled = true;
      try {
        await api(`/api/remembered/${encodeURIComponent(row.id)}/revoke`, { method: "POST", body: {} });
        tr.remove();
        loadRemembered();
      } catch (err) {
        revoke.disabled = false;
        const errorEl = $("#remembered-error");
        errorEl.textContent = err.message;
        errorEl.hidden = false;
        if (err.status === 404) loadRemembered();
      }
    });
    return tr;
  }

  // ---- activity -----------------------------------------------------------------------------

  const activityForm = $("#activity-filters");
  const activityBody = $("#activity-body");
  let activitySeq = 0;
  let activityFilters = {};
  let activityLimit = 200;
  let filterTimer = null;
  const shownRecords = new Set();

  function readFilters() {
    const filters = {};
    for (const input of $$("[data-filter]", activityForm)) {
      const value = input.value.trim();
      if (value) filters[input.dataset.filter] = value;
    }
    return filters;
  }

  activityForm.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(filterTimer);
    loadActivity();
  });
  activityForm.addEventListener("reset", () => {
    setTimeout(loadActivity, 0);
  });
  activityForm.addEventListener("input", (event) => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(loadActivity, event.target.tagName === "SELECT" ? 0 : 400);
  });

  async function loadActivity() {
    const seq = ++activitySeq;
    const filters = readFilters();
    const errorEl = $("#activity-error");
    const query = new URLSearchParams(filters).toString();
    try {
      const records = await api(`/api/activity${query ? `?${query}` : ""}`);
      if (seq !== activitySeq) return;
      errorEl.hidden = true;
      activityFilters = filters;
      activityLimit = Number(filters.limit) > 0 ? Number(filters.limit) : 200;
      clear(activityBody);
      shownRecords.clear();
      // The API gives newest last; the table shows newest first.
      const list = Array.isArray(records) ? records.slice().reverse() : [];
      for (const record of list) {
        shownRecords.add(String(record.id));
        activityBody.append(activityRow(record));
      }
      $("#activity-empty").hidden = list.length > 0;
      loaded.activity = true;
    } catch (err) {
      if (seq !== activitySeq) return;
      errorEl.textContent = err.message;
      errorEl.hidden = false;
    }
  }

  function activityRow(record) {
    const verdict = String(record.verdict || "");
    const badgeClass = VERDICTS.includes(verdict) ? `badge badge-${verdict}` : "badge";
    const outcome = record.outcome ? h("div", { class: "muted small", text: record.outcome }) : null;
    return h("tr", { "data-record-id": record.id },
      h("td", { class: "nowrap mono small", title: record.at || null, text: fmtClock(record.at) }),
      h("td", { "data-field": "server", text: record.server }),
      h("td", { class: "nowrap" }, h("span", { class: "direction", title: record.direction, text: record.direction === "to_server" ? "→ server" : record.direction === "to_client" ? "→ client" : record.direction })),
      h("td", { class: "mono small", "data-field": "method" }, record.method || "", record.kind && record.kind !== "request" ? h("div", { class: "muted", text: record.kind }) : null),
      h("td", { class: "mono small target", "data-field": "target", text: record.target || "" }),
      h("td", null, h("span", { class: badgeClass, "data-field": "verdict", text: verdict }), outcome),
      h("td", { class: "mono small rule-cell", "data-field": "rule", text: record.rule || "" }),
      h("td", { class: "reason", "data-field": "reason", text: record.reason || "" }),
    );
  }

  function recordMatches(record) {
    const f = activityFilters;
    if (f.until) return false; // a bounded window: new records are past it
    if (f.server && record.server !== f.server) return false;
    if (f.tool && record.target !== f.tool) return false;
    if (f.verdict && record.verdict !== f.verdict) return false;
    if (f.rule && record.rule !== f.rule) return false;
    if (f.session && !String(record.session || "").startsWith(f.session)) return false;
    return true;
  }

  function onRecord(record) {
    if (!record || record.id === undefined) return;
    if (!loaded.activity) {
      stale.activity = true;
      return;
    }
    if (!recordMatches(record)) return;
    const key = String(record.id);
    if (shownRecords.has(key)) return;
    shownRecords.add(key);
    const row = activityRow(record);
    row.classList.add("fresh");
    activityBody.prepend(row);
    $("#activity-empty").hidden = true;
    while (activityBody.rows.length > activityLimit) {
      const last = activityBody.rows[activityBody.rows.length - 1];
      shownRecords.delete(last.dataset.recordId);
      last.remove();
    }
  }

  // ---- pins ---------------------------------------------------------------------------------

  const pinsList = $("#pins-list");
  let pinsSeq = 0;

  async function loadPins() {
    const seq = ++pinsSeq;
    const errorEl = $("#pins-error");
    try {
      const items = await api("/api/pins");
      if (seq !== pinsSeq) return;
      errorEl.hidden = true;
      clear(pinsList);
      for (const item of items || []) pinsList.append(pinCard(item));
      const n = (items || []).length;
      $("#pins-empty").hidden = n > 0;
      const badge = $("#pins-count");
      badge.textContent = String(n);
      badge.hidden = n === 0;
      loaded.pins = true;
    } catch (err) {
      if (seq !== pinsSeq) return;
      errorEl.textContent = err.message;
      errorEl.hidden = false;
    }
  }

  function pinCard(item) {
    const server = item.server || {};
    const diff = h("pre", { class: "diff", "data-field": "diff" },
      (item.diff || []).map((line) => {
        const op = line.op === "+" || line.op === "-" ? line.op : " ";
        const cls = op === "+" ? "add" : op === "-" ? "del" : "ctx";
        return h("span", { class: `diff-line ${cls}` }, h("span", { class: "diff-op", "aria-hidden": "true", text: op }), `${line.text}\n`);
      }));
    const accept = h("button", { type: "button", class: "btn btn-allow", "data-action": "accept", text: "Accept" });
    const status = h("p", { class: "error", role: "alert", hidden: true });
    const card = h("article", {
      class: "card pin-card", "data-pin-server": server.key || "", "data-pin-kind": item.kind, "data-pin-name": item.name,
    },
      h("header", { class: "card-head" },
        h("div", { class: "card-title" },
          h("span", { class: "server", title: server.key || null, text: server.label || server.name || "" }),
          h("span", { class: "sep", "aria-hidden": "true", text: "›" }),
          h("span", { class: "kind", text: item.kind }),
          h("span", { class: "tool", text: item.name }),
        ),
        h("span", { class: `badge ${item.pinned ? "badge-warn" : "badge-ask"}`, text: item.pinned ? "changed" : "new" }),
      ),
      h("dl", { class: "facts" },
        kv("Reason", item.reason || "—"),
        kv("Held since", h("span", { title: isoTitle(item.held_at), text: fmtTime(item.held_at) })),
      ),
      h("div", { class: "label", text: item.pinned ? "Changes since it was pinned" : "Definition (first seen)" }),
      diff,
      h("div", { class: "actions" }, accept),
      status,
    );
    accept.addEventListener("click", async () => {
      accept.disabled = true;
      try {
        await api("/api/pins/accept", { method: "POST", body: { server_key: server.key, kind: item.kind, name: item.name } });
        card.remove();
        loadPins();
      } catch (err) {
        accept.disabled = false;
        status.textContent = err.message;
        status.hidden = false;
      }
    });
    return card;
  }

  // ---- live updates -------------------------------------------------------------------------

  let events = null;
  let retry = 1000;
  let everOpen = false;

  function parse(event) {
    try {
      return JSON.parse(event.data);
    } catch (_) {
      return null;
    }
  }

  function connect() {
    if (ended) return;
    setConn(everOpen ? "reconnecting" : "connecting", everOpen ? "reconnecting" : "connecting");
    events = new EventSource("/events", { withCredentials: true });
    events.addEventListener("open", () => {
      retry = 1000;
      everOpen = true;
      setConn("live", "live");
      banner.hidden = true;
      // Catch up on whatever happened while the stream was down.
      loadPending();
      for (const name of ["remembered", "activity", "pins"]) if (loaded[name]) invalidate(name);
    });
    events.addEventListener("error", () => {
      if (ended) return;
      setConn("reconnecting", "reconnecting");
      if (events.readyState === EventSource.CLOSED) {
        // The browser gave up (the daemon answered something else than a stream, e.g. 401):
        // find out why, and retry with back-off unless the session ended.
        events = null;
        api("/api/pending").catch(() => {}).finally(() => {
          if (ended) return;
          setTimeout(connect, retry);
          retry = Math.min(retry * 2, 15000);
        });
      }
    });
    events.addEventListener("pending", (event) => {
      const data = parse(event);
      if (data && data.ask) upsertPending(data.ask, data.remaining_ms);
    });
    events.addEventListener("resolved", (event) => {
      const data = parse(event);
      if (data && data.id !== undefined) {
        resolvedAt.set(data.id, ++epoch);
        if (resolvedAt.size > RESOLVED_KEPT) resolvedAt.delete(resolvedAt.keys().next().value);
        removePending(data.id);
      }
    });
    events.addEventListener("record", (event) => onRecord(parse(event)));
    events.addEventListener("remembered", () => invalidate("remembered"));
    events.addEventListener("pins", () => invalidate("pins"));
  }

  // ---- start --------------------------------------------------------------------------------

  updatePendingCount();
  showView(location.hash.slice(1) || "pending");
  loadPending();
  loadPins(); // for the badge on the tab
  connect();
})();
