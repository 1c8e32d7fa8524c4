// Agent console: one WebSocket that reconnects by itself and resumes where it left off;
// renders screen pops and the seat state as the server pushes them.
"use strict";
(function () {
  const T = JSON.parse(document.getElementById("messages").textContent);
  const t = (key) => T[key] || key;
  const popsEl = document.getElementById("pops");
  const linkEl = document.getElementById("link-state");
  const seatEl = document.getElementById("seat-state");
  const pops = new Map();
  const KEEP_FINISHED = 5;
  let retry = 500;
  let stream = null;
  let lastSeq = 0;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
    return node;
  }

  function stateText(pop) {
    if (pop.state === "answered") return t("pop.answered");
    if (pop.state === "withdrawn") return T["pop.withdrawn." + pop.reason] || t("pop.withdrawn");
    if (pop.state === "ended") return t(pop.outcome === "answered" ? "pop.ended.answered" : "pop.ended." + pop.outcome);
    return t("pop.ringing");
  }

  function whyBlock(call) {
    const parts = [t("pop.why." + call.reason)];
    if (call.queue) parts.push(t("pop.queue") + ": " + call.queue);
    if (call.transferred_by) parts.push(t("pop.transferred_by") + ": " + call.transferred_by);
    const vars = call.variables || {};
    if (vars.CRM_VIP === "1") parts.push(t("pop.vip"));
    if (vars.CRM_PRIORITY) parts.push(t("pop.priority") + ": " + vars.CRM_PRIORITY);
    if (vars.CRM_PREFERRED === "1") parts.push(t("pop.preferred"));
    if (vars.CRM_CLAIMED_ID) parts.push(t("pop.claimed") + ": " + vars.CRM_CLAIMED_ID);
    if (vars.CRM_LANG) parts.push(t("pop.language") + ": " + (vars.CRM_LANG === "en" ? "English" : "中文"));
    if (vars.CRM_REASON) {
      const why = vars.CRM_REASON.split(",").map((r) => T["pop.route." + r] || r).join(", ");
      parts.push(t("pop.route_reason") + ": " + why);
    }
    return el("p", { class: "why" }, parts.join(" · "));
  }

  // A shared number (a company's switchboard): offer the other customers; the pick is remembered.
  function candidatesBlock(c, popId) {
    const others = (c.candidates || []).filter((x) => x.id !== c.id);
    if (!others.length) return "";
    const buttons = others.map((x) => {
      const b = el("button", { type: "button", class: "candidate", "data-id": String(x.id) },
        x.name + (x.company ? " · " + x.company : ""));
      b.addEventListener("click", () => pick(popId, c.number, x.id));
      return b;
    });
    return el("div", { class: "matches" }, el("p", {}, t("pop.other_matches")), ...buttons);
  }

  function pick(popId, number, customerId) {
    window.crm.api("POST", "/api/v1/identify/pick", { number: number, customer_id: customerId })
      .then((r) => r.ok ? r.data : null).then((card) => {
      if (card && pops.has(popId)) render(Object.assign(pops.get(popId), { customer: card }));
    });
  }

  function customerBlock(c, call, popId) {
    if (!c.known) {
      return el("div", { class: "customer new" },
        el("h2", {}, t("pop.new_customer")),
        el("p", {}, t("pop.new_customer_hint")),
        el("dl", {}, el("dt", {}, t("pop.caller")), el("dd", { class: "number" }, c.number_display || call.caller_number)));
    }
    const rows = c.recent_calls.map((r) => el("tr", {},
      el("td", {}, new Date(r.started_at).toLocaleString()),
      el("td", {}, t("call.direction." + r.direction)),
      el("td", {}, t("call.outcome." + (r.outcome || "none"))),
      el("td", {}, r.talk_seconds != null ? Math.round(r.talk_seconds) + " " + t("call.seconds") : "")));
    return el("div", { class: "customer known" },
      el("h2", { class: "name" }, c.name),
      el("dl", {},
        el("dt", {}, t("pop.company")), el("dd", { class: "company" }, c.company || "—"),
        el("dt", {}, t("pop.numbers")), el("dd", { class: "numbers" }, c.phones.map((p) => p.display).join(", ")),
        el("dt", {}, t("pop.caller")), el("dd", { class: "number" }, c.number_display || call.caller_number)),
      candidatesBlock(c, popId),
      el("h3", {}, t("pop.recent")),
      rows.length ? el("table", { class: "recent" }, ...rows) : el("p", {}, t("pop.no_calls")));
  }

  function render(pop) {
    const node = el("article", { class: "pop " + pop.state, "data-pop-id": pop.pop_id },
      el("p", { class: "state" }, stateText(pop)),
      whyBlock(pop.call),
      customerBlock(pop.customer, pop.call, pop.pop_id));
    const old = pops.get(pop.pop_id);
    if (old && old.node) old.node.replaceWith(node); else popsEl.prepend(node);
    pop.node = node;
    pops.set(pop.pop_id, pop);
    const idle = popsEl.querySelector(".idle");
    if (idle) idle.remove();
    pruneFinished();
  }

  // A console stays open all day: keep only the latest few finished cards.
  function pruneFinished() {
    const finished = [...pops.values()].filter((p) => p.state === "ended" || p.state === "withdrawn");
    for (const pop of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) {
      pop.node.remove();
      pops.delete(pop.pop_id);
    }
  }

  function renderSeat(seat) {
    if (!seat) { seatEl.textContent = t("seat.unknown"); seatEl.className = "seat"; return; }
    seatEl.textContent = t("seat." + seat.state) + (seat.reason ? " (" + seat.reason + ")" : "");
    seatEl.className = "seat " + seat.state;
  }

  function renderAlarm(alarm) {
    const text = (T["alarm." + alarm.kind] || alarm.kind) + (alarm.detail ? ": " + alarm.detail : "");
    popsEl.prepend(el("p", { class: "alarm", role: "alert" }, new Date(alarm.at * 1000).toLocaleTimeString() + " " + text));
  }

  function reset(snapshot) {
    for (const pop of pops.values()) pop.node.remove();
    pops.clear();
    for (const pop of snapshot.pops) render(pop);
    renderSeat(snapshot.seat);
  }

  function onMessage(msg) {
    if (msg.type === "hello") { stream = msg.stream; return; }
    if (msg.type === "snapshot") { reset(msg); lastSeq = msg.seq; return; }
    if (msg.seq) lastSeq = msg.seq;
    if (msg.type === "pop") render(msg);
    else if (msg.type === "call_state" && pops.has(msg.pop_id)) render(Object.assign(pops.get(msg.pop_id), msg));
    else if (msg.type === "seat") renderSeat(msg);
    else if (msg.type === "alarm") renderAlarm(msg);
  }

  function later() { setTimeout(connect, retry); retry = Math.min(retry * 2, 15000); }

  function connect() {
    const resume = stream ? "?stream=" + encodeURIComponent(stream) + "&since=" + lastSeq : "";
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws" + resume);
    ws.onopen = () => { retry = 500; linkEl.textContent = t("console.link.up"); linkEl.className = "up"; };
    ws.onmessage = (ev) => { try { onMessage(JSON.parse(ev.data)); } catch (e) { /* pong or garbage */ } };
    ws.onclose = (ev) => {
      linkEl.textContent = t("console.link.down"); linkEl.className = "down";
      if (ev.code === 4401) { location.href = "/login"; return; }
      // A refused handshake looks like any other drop: ask whether the session is still alive.
      fetch("/api/me", { credentials: "same-origin" }).then((r) => {
        if (r.status === 401) location.href = "/login"; else later();
      }, later);
    };
  }
  connect();
})();
