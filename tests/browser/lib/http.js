// Raw HTTP with full control of the headers (Node's fetch will not send a forged Host).

import http from "node:http";

export function raw(port, { method = "GET", path = "/", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        headers: {
          Host: `127.0.0.1:${port}`,
          ...headers,
          ...(payload !== undefined ? { "Content-Length": Buffer.byteLength(payload) } : {}),
        },
        agent: false,
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.setTimeout(10000, () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Port and token of a login link. */
export function parseLogin(url) {
  const u = new URL(url);
  return { port: Number(u.port), token: u.searchParams.get("token"), origin: u.origin, url: u };
}
