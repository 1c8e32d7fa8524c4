// Wallboard: every seat and queue, pushed by the server over one WebSocket (a snapshot on
// connect, then deltas; no polling). Timers tick here, from the server's clock. Alerts come
// from the server as a whole list whenever it changes; they are listed and marked on the
// tiles. The seat menu (supervisor actions) is wallboard-actions.js, fed through crm.wallboard.
"use strict";
(function () {
  const T = JSON.parse(document.getElementById("messages").textContent);
  const t = (key) => T[key] || key;
  const $ = (id) => document.getElementById(id);
  const seatsEl = $("wb-seats"), queuesBody = $("wb-queues").tBodies[0];
  const teamSel = $("wb-team"), queueSel = $("wb-queue"), searchEl = $("wb-search");
  const STATES = ["ready", "on_call", "on_hold", "ringing", "wrap_up", "paused", "logged_out"];
  const FILTERS_KEY = "crm.wallboard.filters";
  const seats = new Map();   // agent interface -> {data, el}
  const queues = new Map();  // queue name -> {data, row}
  const sections = new Map(); // team ("" = none) -> {box, grid}
  let reasons = {};          // pause reason code -> label
  let alerts = [];           // the server's current alerts
  const seatListeners = [];  // called with each seat as it is redrawn (the seat menu follows it)
  let offset = 0;            // server clock minus this browser's clock, in seconds
  let retry = 500;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
    return node;
  }

  const now = () => Date.now() / 1000 + offset;

  function clock(since) {
    const total = Math.max(0, Math.floor(now() - since));
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  function timer(cls, since) {
    if (since == null) return el("span", { class: cls });
    return el("span", { class: cls, "data-since": String(since) }, clock(since));
  }

  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));

  function stateText(seat) {
    if (seat.state === "paused" && seat.reason) return reasons[seat.reason] || seat.reason;
    if (seat.state === "logged_out" && seat.reason === "unavailable") return t("wallboard.reason.unavailable");
    return t("wallboard.state." + seat.state);
  }

  // Who is on the line: the customer's name when known, else the number (both in the tooltip).
  function callerText(call, full) {
    if (call.number === undefined) return t("wallboard.caller.hidden");
    const number = call.number || t("wallboard.caller.unknown");
    const who = full ? [call.name, number].filter(Boolean).join(" ") : call.name || number;
    return call.direction !== "inbound" ? t("wallboard.direction." + call.direction) + " " + who : who;
  }

  function tile(seat) {
    const call = seat.call;
    // On hold, time in state counts the hold: the call's own duration is shown beside the caller.
    const second = call
      ? [el("span", { class: "wb-caller" }, callerText(call, false)),
        seat.state === "on_hold" ? timer("wb-dur", call.since) : ""]
      : [el("span", { class: "wb-what" }, stateText(seat))];
    const title = [seat.name, seat.team || t("wallboard.no_team"), stateText(seat),
      (seat.queues || []).join(", "), call ? callerText(call, true) + (call.queue ? " · " + call.queue : "") : ""];
    const attrs = { class: "wb-seat st-" + seat.state, "data-agent": seat.agent, title: title.filter(Boolean).join("\n") };
    if (seat.actions && seat.agent_id) {  // a seat of the watcher's team: click for the supervisor actions
      Object.assign(attrs, { class: attrs.class + " wb-act", tabindex: "0", role: "button", "aria-haspopup": "dialog" });
    }
    return el("div", attrs,
      el("div", { class: "wb-l1" }, el("span", { class: "wb-name" }, seat.name), timer("wb-time", seat.since)),
      el("div", { class: "wb-l2" }, ...second));
  }

  function section(team) {
    let found = sections.get(team);
    if (found) return found;
    const grid = el("div", { class: "wb-grid" });
    const box = el("section", { class: "wb-team", "data-team": team },
      el("h2", {}, team || t("wallboard.no_team")), grid);
    found = { box: box, grid: grid };
    sections.set(team, found);
    const after = [...sections.keys()].filter((k) => k !== team).sort(byTeam).find((k) => byTeam(k, team) > 0);
    seatsEl.insertBefore(box, after === undefined ? null : sections.get(after).box);
    return found;
  }

  function byTeam(a, b) {
    if (!a !== !b) return a ? -1 : 1; // seats without a team last
    return a.localeCompare(b);
  }

  function putSeat(seat) {
    const old = seats.get(seat.agent);
    const node = tile(seat);
    const grid = section(seat.team || "").grid;
    if (old && old.el.parentNode === grid && (old.data.name === seat.name)) {
      old.el.replaceWith(node);
    } else {
      if (old) old.el.remove();
      const next = [...grid.children].find((n) => seats.get(n.dataset.agent).data.name.localeCompare(seat.name) > 0);
      grid.insertBefore(node, next || null);
    }
    seats.set(seat.agent, { data: seat, el: node });
    for (const listener of seatListeners) listener(seat);
  }

  function dropSeat(agent) {
    const old = seats.get(agent);
    if (old) old.el.remove();
    seats.delete(agent);
  }

  // Today's figures, counted as the reports count them (the definitions are the KPI ones).
  function todayCells(day) {
    const d = day || {};
    const abandoned = el("td", { class: "wb-n wb-today wb-abandoned" }, String(d.abandoned || 0));
    if (d.short_abandoned) abandoned.title = t("wallboard.queue.short_abandoned") + " " + d.short_abandoned;
    const offered = el("td", { class: "wb-n wb-today wb-offered" }, String(d.offered || 0));
    if (d.timed_out) offered.title = t("wallboard.queue.timed_out") + " " + d.timed_out;
    return [offered,
      el("td", { class: "wb-n wb-today wb-answered" }, String(d.answered || 0)), abandoned,
      el("td", { class: "wb-n wb-today wb-sl" }, d.service_level == null ? "–" : d.service_level + "%")];
  }

  function putQueue(q) {
    const old = queues.get(q.name);
    const row = el("tr", { "data-queue": q.name, class: q.waiting ? "wb-waiting" : "" },
      el("th", {}, q.name), el("td", { class: "wb-n" }, String(q.waiting)),
      el("td", { class: "wb-n wb-oldest" }, q.oldest == null ? "–" : timer("wb-wait", q.oldest)),
      el("td", { class: "wb-n" }, String(q.ready)), el("td", { class: "wb-n" }, String(q.busy)),
      el("td", { class: "wb-n" }, String(q.paused)), ...todayCells(q.today));
    if (old) {
      old.row.replaceWith(row);
    } else {
      const next = [...queuesBody.rows].find((r) => r.dataset.queue && r.dataset.queue.localeCompare(q.name) > 0);
      queuesBody.insertBefore(row, next || null);
    }
    queues.set(q.name, { data: q, row: row });
  }

  function setLinks(links) {
    const down = Object.entries(links || {}).filter(([, up]) => !up).map(([name]) => name);
    $("wb-pbx").hidden = !down.length;
    $("wb-pbx").textContent = down.length ? t("wallboard.pbx_down") + " " + down.join(", ") : "";
  }

  function alertItem(a) {
    const item = el("li", { class: "wb-alert-item", "data-key": a.key, "data-kind": a.kind });
    if (a.kind === "paused") {
      const seat = seats.get(a.subject);
      item.append(fill(t("wallboard.alert.paused"), { name: seat ? seat.data.name : a.subject, limit: a.threshold }),
        timer("wb-time", a.since - a.threshold * 60));
    } else if (a.kind === "queue_wait") {
      item.append(fill(t("wallboard.alert.queue_wait"), { queue: a.subject, limit: a.threshold }),
        timer("wb-wait", a.since - a.threshold));
    } else {
      item.append(fill(t("wallboard.alert.service_level"), { queue: a.subject, value: a.value, limit: a.threshold }));
    }
    return item;
  }

  // Queues first (a caller is waiting now), then seats; the server's order within each.
  function renderAlerts() {
    const ordered = [...alerts].sort((a, b) => (a.kind === "paused") - (b.kind === "paused"));
    $("wb-alert-list").replaceChildren(...ordered.map(alertItem));
    $("wb-alert-count").textContent = String(alerts.length);
    $("wb-alerts").hidden = !alerts.length;
  }

  // Tiles and queue rows are redrawn by every delta: the marks are put back after each message.
  function markAlerts() {
    for (const node of document.querySelectorAll(".wb-alert")) node.classList.remove("wb-alert");
    for (const node of document.querySelectorAll(".wb-low")) node.classList.remove("wb-low");
    for (const a of alerts) {
      const found = a.kind === "paused" ? seats.get(a.subject) : queues.get(a.subject);
      const node = found && (found.el || found.row);
      if (!node) continue;
      node.classList.add("wb-alert");
      const cell = node.querySelector(a.kind === "service_level" ? ".wb-sl" : ".wb-oldest");
      if (a.kind !== "paused" && cell) cell.classList.add("wb-low");
    }
  }

  function setLink(up) {
    $("wb-link").className = up ? "up" : "down";
    $("wb-link").textContent = t(up ? "wallboard.link.up" : "wallboard.link.down");
  }

  function options(select, values, label) {
    const chosen = select.value;
    const have = [...select.options].map((o) => o.value);
    for (const value of values) {
      if (!have.includes(value)) select.append(el("option", { value: value }, label(value)));
    }
    select.value = have.includes(chosen) || values.includes(chosen) ? chosen : "*";
  }

  function refreshFilters() {
    const teams = [...new Set([...seats.values()].map((s) => s.data.team || ""))].sort(byTeam);
    options(teamSel, teams.map((x) => x || "-"), (v) => v === "-" ? t("wallboard.no_team") : v);
    options(queueSel, [...queues.keys()].sort(), (v) => v);
  }

  function applyFilters() {
    const team = teamSel.value, queue = queueSel.value, text = searchEl.value.trim().toLowerCase();
    const counts = {};
    let shown = 0;
    for (const { data, el: node } of seats.values()) {
      const visible = (team === "*" || (data.team || "-") === team)
        && (queue === "*" || (data.queues || []).includes(queue))
        && (!text || data.name.toLowerCase().includes(text) || data.agent.toLowerCase().includes(text));
      node.hidden = !visible;
      if (visible) { shown += 1; counts[data.state] = (counts[data.state] || 0) + 1; }
    }
    for (const { box, grid } of sections.values()) box.hidden = ![...grid.children].some((n) => !n.hidden);
    for (const { row } of queues.values()) row.hidden = queue !== "*" && row.dataset.queue !== queue;
    $("wb-none").hidden = shown > 0;
    const parts = STATES.filter((s) => counts[s]).map((s) =>
      el("span", { class: "wb-count st-" + s }, t("wallboard.state." + s) + " " + counts[s]));
    $("wb-counts").replaceChildren(el("span", {}, t("wallboard.shown") + " " + shown), ...parts);
    localStorage.setItem(FILTERS_KEY, JSON.stringify({ team: team, queue: queue }));
  }

  function handle(msg) {
    if (typeof msg.now === "number") offset = msg.now - Date.now() / 1000;
    if (msg.type === "snapshot") {
      seats.clear(); queues.clear(); sections.clear();
      seatsEl.replaceChildren();
      queuesBody.replaceChildren(el("tr", { class: "wb-empty" }, el("td", { colspan: "10" }, t("wallboard.no_queues"))));
      setLink(true);
    }
    for (const seat of msg.seats || []) putSeat(seat);
    for (const agent of msg.gone || []) dropSeat(agent);
    for (const q of msg.queues || []) putQueue(q);
    if (msg.links) setLinks(msg.links);
    if (msg.alerts) { alerts = msg.alerts; renderAlerts(); }
    markAlerts();
    const empty = queuesBody.querySelector(".wb-empty");
    if (empty) empty.hidden = queues.size > 0;
    for (const [team, { box, grid }] of sections) {
      if (!grid.children.length) { box.remove(); sections.delete(team); }
    }
    refreshFilters();
    applyFilters();
  }

  function tick() {
    for (const node of document.querySelectorAll("[data-since]")) node.textContent = clock(Number(node.dataset.since));
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(proto + "//" + location.host + "/ws/wallboard");
    ws.onmessage = (e) => { retry = 500; handle(JSON.parse(e.data)); };
    ws.onclose = (e) => {
      setLink(false);
      if (e.code === 4401) { location.href = "/login"; return; }
      window.crm.api("GET", "/api/me"); // a lost session sends the page to the sign-in
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }

  function restoreFilters() {
    try {
      const saved = JSON.parse(localStorage.getItem(FILTERS_KEY) || "{}");
      for (const [select, value] of [[teamSel, saved.team], [queueSel, saved.queue]]) {
        if (value && value !== "*") select.append(el("option", { value: value }, value === "-" ? t("wallboard.no_team") : value));
        if (value) select.value = value;
      }
    } catch (e) { /* a damaged entry only loses the filter */ }
  }

  function loadReasons() {
    window.crm.api("GET", "/api/v1/pause-reasons").then((r) => {
      if (!r.ok || !r.data || !Array.isArray(r.data.items)) return;
      reasons = Object.fromEntries(r.data.items.map((i) => [i.code, i.label]));
      for (const { data } of seats.values()) if (data.state === "paused") putSeat(data);
      applyFilters();
    });
  }

  window.crm.wallboard = {
    t: t,
    stateText: stateText,
    seat: (agent) => (seats.has(agent) ? seats.get(agent).data : null),
    reasons: () => reasons,
    onSeat: (listener) => seatListeners.push(listener),
  };

  restoreFilters();
  for (const control of [teamSel, queueSel]) control.addEventListener("change", applyFilters);
  searchEl.addEventListener("input", applyFilters);
  setInterval(tick, 1000);
  loadReasons();
  connect();
})();
