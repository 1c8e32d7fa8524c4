// The one way pages talk to the JSON API: same-origin, JSON in and out, and the session's
// CSRF token on every request that changes something (the server refuses those without it).
"use strict";
(function () {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const token = meta ? meta.getAttribute("content") : "";

  // Resolves to {ok, status, data}; data is the parsed JSON body or null. Never rejects on HTTP errors.
  async function api(method, url, body) {
    const headers = { "Accept": "application/json" };
    if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(url, {
        method: method, credentials: "same-origin", headers: headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      return { ok: false, status: 0, data: null };
    }
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (response.status === 401) location.href = "/login";
    return { ok: response.ok, status: response.status, data: data };
  }

  window.crm = Object.assign(window.crm || {}, { api: api, csrfToken: token });
})();
