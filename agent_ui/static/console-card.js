// Agent console, the cards: a screen pop (or a customer opened without a call) as the centre of
// work: who it is, why the call came, open requests, complaints and callbacks, last calls, the
// customer's activity and a knowledge-base search. Parts are updated in place, so a call's state
// changing never wipes what the agent is typing in the card's form.
"use strict";
(function () {
  const C = window.crmConsole;
  const { t, el } = C;
  const cardsEl = document.getElementById("cards");
  const cards = new Map();
  const KEEP_FINISHED = 5;
  const ACTIVITY_ITEMS = 12;
  let activeKey = null;

  function stateText(pop) {
    if (pop.state === "answered") return t("pop.answered");
    if (pop.state === "withdrawn") return C.T["pop.withdrawn." + pop.reason] || t("pop.withdrawn");
    if (pop.state === "ended") return t(pop.outcome === "answered" ? "pop.ended.answered" : "pop.ended." + pop.outcome);
    return t("pop.ringing");
  }

  function whyText(call) {
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
      const why = vars.CRM_REASON.split(",").map((r) => C.T["pop.route." + r] || r).join(", ");
      parts.push(t("pop.route_reason") + ": " + why);
    }
    return parts.join(" · ");
  }

  function head(card) {
    const close = C.button("×", { class: "close", title: t("console.card.close"), "aria-label": t("console.card.close") },
      () => remove(card.key));
    if (!card.pop) return el("header", { class: "card-head" }, el("p", { class: "state" }, t("console.card.no_call")), close);
    const live = card.pop.state === "ringing" || card.pop.state === "answered";
    return el("header", { class: "card-head" },
      el("p", { class: "state" }, stateText(card.pop)),
      el("p", { class: "why" }, whyText(card.pop.call)),
      live ? "" : close);
  }

  // A shared number (a company's switchboard): offer the other customers; the pick is remembered.
  function candidates(card) {
    const c = card.customer;
    const others = (c.candidates || []).filter((x) => x.id !== c.id);
    if (!others.length) return "";
    return el("div", { class: "matches" }, el("p", {}, t("pop.other_matches")),
      others.map((x) => C.button(x.name + (x.company ? " · " + x.company : ""),
        { class: "candidate", "data-id": x.id }, () => pick(card, x.id))));
  }

  async function pick(card, customerId) {
    const res = await C.api("POST", "/api/v1/identify/pick", { number: card.customer.number, customer_id: customerId });
    if (res.ok && cards.get(card.key) === card) { card.customer = res.data; renderCustomer(card); }
    else if (!res.ok) C.notify(C.failure(res), "error");
  }

  function callerRow(card) {
    if (!card.pop) return [];
    const c = card.customer;
    return [el("dt", {}, t("pop.caller")),
      el("dd", {}, C.dialable(c.number || card.pop.call.caller_number, c.number_display || card.pop.call.caller_number, "number"))];
  }

  function customerPart(card) {
    const c = card.customer;
    if (!c.known) {
      const form = el("form", { class: "new-customer" },
        el("input", { name: "name", required: true, maxlength: 200, placeholder: t("console.customer.name"),
          "aria-label": t("console.customer.name") }),
        el("button", { type: "submit" }, t("console.customer.create")));
      form.addEventListener("submit", (ev) => { ev.preventDefault(); createCustomer(card, form); });
      return el("div", { class: "customer new" },
        el("h2", {}, t("pop.new_customer")), el("p", { class: "hint" }, t("pop.new_customer_hint")),
        el("dl", {}, callerRow(card)), form);
    }
    return el("div", { class: "customer known" },
      el("h2", { class: "name" }, c.name),
      el("dl", {},
        el("dt", {}, t("pop.company")), el("dd", { class: "company" }, c.company || "—"),
        el("dt", {}, t("pop.numbers")), el("dd", { class: "numbers" }, c.phones.map((p) => C.dialable(p.e164, p.display))),
        callerRow(card)),
      candidates(card));
  }

  async function createCustomer(card, form) {
    const name = form.elements.name.value.trim();
    if (!name) { form.elements.name.focus(); return; }
    const number = card.customer.number || (card.pop && card.pop.call.caller_number);
    const res = await C.api("POST", "/api/v1/customers", { name: name, numbers: [number] });
    if (!res.ok) { C.notify(C.failure(res), "error"); return; }
    C.notify(t("console.customer.created", { name: name }));
    await refresh(card, res.data.id);
  }

  function requestItem(r) {
    return el("li", { class: "req" + (r.type === "complaint" ? " complaint" : "") + (r.overdue ? " overdue" : "") },
      el("span", { class: "tag" }, C.label("console.ticket.type.", r.type)),
      el("span", { class: "ref" }, r.number), " ", el("span", { class: "subject" }, r.subject), " ",
      el("span", { class: "status" }, C.label("console.ticket.status.", r.status)),
      r.overdue ? el("span", { class: "flag" }, t("console.ticket.overdue")) : "");
  }

  // A number as the customer's card writes it (the card lists their numbers in both forms).
  function shown(c, number) {
    const phone = (c.phones || []).find((p) => p.e164 === number);
    return phone ? phone.display : number === c.number && c.number_display ? c.number_display : number;
  }

  function callbackItem(c, cb) {
    return el("li", { class: "cb" }, el("span", { class: "when" }, C.when(cb.due_at)), " ",
      C.dialable(cb.number, shown(c, cb.number)), " ", el("span", { class: "status" }, C.label("console.callback.status.", cb.status)));
  }

  function recentCalls(c) {
    const rows = (c.recent_calls || []).map((r) => el("tr", {},
      el("td", {}, C.when(r.started_at)),
      el("td", {}, t("call.direction." + r.direction)),
      el("td", {}, t("call.outcome." + (r.outcome || "none"))),
      el("td", {}, r.talk_seconds != null ? Math.round(r.talk_seconds) + " " + t("call.seconds") : "")));
    return rows.length ? el("table", { class: "recent" }, el("tbody", {}, rows)) : el("p", { class: "empty" }, t("pop.no_calls"));
  }

  function section(cls, title, ...body) {
    return el("section", { class: "part " + cls }, el("h3", {}, title), ...body);
  }

  function workPart(card) {
    const c = card.customer;
    if (!c.known) return el("div", { class: "work" });
    const reqs = c.open_requests || [];
    const cbs = c.open_callbacks || [];
    return el("div", { class: "work" },
      section("open-requests", t("console.card.open_requests") + " (" + reqs.length + ")",
        reqs.length ? el("ul", {}, reqs.map(requestItem)) : el("p", { class: "empty" }, t("console.card.none"))),
      section("open-callbacks", t("console.card.open_callbacks") + " (" + cbs.length + ")",
        cbs.length ? el("ul", {}, cbs.map((cb) => callbackItem(c, cb))) : el("p", { class: "empty" }, t("console.card.none"))),
      section("recent-calls", t("pop.recent"), recentCalls(c)),
      section("activity", t("console.card.activity"), activityList(card)));
  }

  function activityList(card) {
    const items = (card.timeline || []).filter((i) => i.kind !== "call").slice(0, ACTIVITY_ITEMS);
    if (!card.timeline) return el("p", { class: "empty" }, t("console.card.loading"));
    if (!items.length) return el("p", { class: "empty" }, t("console.card.none"));
    return el("ul", { class: "timeline" }, items.map((i) => el("li", { class: "item " + i.kind + callClass(card, i), "data-kind": i.kind, "data-ref": i.ref },
      el("span", { class: "when" }, C.when(i.at)), " ",
      el("span", { class: "tag" }, C.label("console.timeline.", i.kind)), " ",
      el("span", { class: "summary" }, summary(card.customer, i)), callMark(card, i))));
  }

  // Work made on a call says so; on this card's own call (known once something was saved from it) more so.
  function callClass(card, item) {
    const id = item.data && item.data.call_record_id;
    return id ? " on-call" + (id === card.callRecordId ? " this-call" : "") : "";
  }

  function callMark(card, item) {
    const id = item.data && item.data.call_record_id;
    if (!id) return "";
    return el("span", { class: "call-mark" }, t(id === card.callRecordId ? "console.timeline.this_call" : "console.timeline.on_call"));
  }

  // What happened, in the page's language; requests and notes are the agents' own words.
  function summary(c, item) {
    const d = item.data || {};
    if (item.kind === "callback") {
      return t("console.timeline.callback_for", { when: C.when(d.scheduled_at) }) + " · " + C.label("console.callback.status.", d.status);
    }
    if (item.kind === "follow_up") {
      return (d.number || "") + (d.satisfaction != null ? " · " + t("console.timeline.satisfaction", { score: d.satisfaction }) : "");
    }
    return item.summary;
  }

  function kbPart(card) {
    const input = el("input", { type: "search", name: "q", placeholder: t("console.kb.placeholder"), "aria-label": t("console.kb.title") });
    const results = el("ul", { class: "kb-results" });
    const form = el("form", { class: "kb-search" }, input, el("button", { type: "submit" }, t("console.kb.search")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const q = input.value.trim();
      if (!q) return;
      const res = await C.api("GET", "/api/v1/kb/articles?limit=5&q=" + encodeURIComponent(q));
      if (!res.ok) { C.notify(C.failure(res), "error"); return; }
      results.replaceChildren(...(res.data.items.length ? res.data.items.map((a) => el("li", {},
        el("details", {}, el("summary", {}, a.question), el("p", {}, a.answer)))) : [el("li", { class: "empty" }, t("console.kb.nothing"))]));
    });
    return section("kb", t("console.kb.title"), form, results);
  }

  function actionsPart(card) {
    const act = (kind, key) => C.button(t("console.action." + kind), { class: "act-" + kind }, () => C.on.emit("form", card, kind), key);
    const live = card.pop && card.pop.state === "answered";
    return el("div", { class: "card-actions" },
      act("request", "S"), act("complaint", "C"), act("callback", "B"), act("note", "N"),
      live ? C.button(t("console.action.transfer"), { class: "act-transfer" }, () => C.on.emit("transfer", card), "T") : "");
  }

  function build(card) {
    const cls = card.pop ? "card pop " + card.pop.state : "card customer-card";
    const attrs = { class: cls, tabindex: "-1" };
    if (card.pop) attrs["data-pop-id"] = card.key; else attrs["data-customer-id"] = card.customer.id;
    card.parts = { head: head(card), cust: customerPart(card), work: workPart(card), actions: actionsPart(card),
      form: el("div", { class: "card-form" }), disp: el("div", { class: "disposition-slot" }) };
    card.node = el("article", attrs, card.parts.head,
      el("div", { class: "card-body" }, el("div", { class: "left" }, card.parts.cust, kbPart(card)), card.parts.work),
      card.parts.actions, card.parts.form, card.parts.disp);
    card.node.addEventListener("focusin", () => activate(card.key));
    card.node.addEventListener("mousedown", () => activate(card.key));
  }

  function swap(card, name, node) {
    card.parts[name].replaceWith(node);
    card.parts[name] = node;
  }

  function renderCustomer(card) {
    swap(card, "cust", customerPart(card));
    swap(card, "work", workPart(card));
    loadTimeline(card);
  }

  const STATES = ["ringing", "answered", "ended", "withdrawn"];

  function renderState(card) {
    if (card.pop) {
      card.node.classList.remove(...STATES);
      card.node.classList.add(card.pop.state);
    }
    swap(card, "head", head(card));
    swap(card, "actions", actionsPart(card));
    C.on.emit("card-state", card);
  }

  async function loadTimeline(card) {
    if (!card.customer.known) return;
    const res = await C.api("GET", "/api/v1/customers/" + card.customer.id + "/timeline?limit=50");
    if (!res.ok || cards.get(card.key) !== card) return;
    card.timeline = res.data.items;
    const part = card.parts.work.querySelector(".activity");
    if (part) part.replaceWith(section("activity", t("console.card.activity"), activityList(card)));
  }

  // After the agent created something: the card and the activity from the server again.
  async function refresh(card, customerId) {
    const id = customerId || card.customer.id;
    const call = card.pop ? "?pop_id=" + encodeURIComponent(card.key) : "";
    const res = await C.api("GET", "/api/console/customers/" + id + "/card" + call);
    if (!res.ok || cards.get(card.key) !== card) return;
    const number = card.customer.number;
    card.customer = Object.assign(res.data, number ? { number: number, number_display: card.customer.number_display } : {});
    card.timeline = null;
    renderCustomer(card);
  }

  function add(card) {
    build(card);
    cards.set(card.key, card);
    cardsEl.prepend(card.node);
    const idle = cardsEl.querySelector(".idle");
    if (idle) idle.hidden = true;
    loadTimeline(card);
    prune();
  }

  function showPop(msg) {
    const existing = cards.get(msg.pop_id);
    if (existing) { // a replay or snapshot: the call's state; the customer stays as the agent left it
      callState(msg.pop_id, { state: msg.state, reason: msg.reason, outcome: msg.outcome });
      return;
    }
    const card = { key: msg.pop_id, pop: msg, customer: msg.customer, answeredHere: msg.state === "answered", timeline: null };
    add(card);
    if (msg.state === "ringing" || msg.state === "answered") activate(card.key);
    C.on.emit("card-state", card);
  }

  function callState(popId, changes) {
    const card = cards.get(popId);
    if (!card) return;
    Object.assign(card.pop, changes);
    if (card.pop.state === "answered") card.answeredHere = true;
    renderState(card);
    prune();
  }

  // `data`: the card's JSON when the caller already has it (a campaign's next customer).
  async function openCustomer(id, data) {
    const existing = [...cards.values()].find((c) => !c.pop && c.customer.id === id);
    if (existing) { activate(existing.key); existing.node.focus(); return; }
    const res = data ? { ok: true, data: data } : await C.api("GET", "/api/console/customers/" + id + "/card");
    if (!res.ok) { C.notify(C.failure(res), "error"); return; }
    const card = { key: "customer:" + id, pop: null, customer: res.data, timeline: null };
    add(card);
    activate(card.key);
    card.node.focus();
  }

  function remove(key) {
    const card = cards.get(key);
    if (!card) return;
    card.node.remove();
    cards.delete(key);
    if (activeKey === key) activeKey = null;
    const idle = cardsEl.querySelector(".idle");
    if (idle) idle.hidden = cards.size > 0;
  }

  // A console stays open all day: keep only the latest few finished calls and opened customers.
  function prune() {
    const done = [...cards.values()].filter((c) => !c.pop || c.pop.state === "ended" || c.pop.state === "withdrawn");
    const busy = (c) => c.node.contains(document.activeElement) || c.parts.form.childElementCount > 0;
    const extra = done.length - KEEP_FINISHED;
    for (const card of done.slice(0, Math.max(0, extra)).filter((c) => !busy(c))) remove(card.key);
  }

  // A snapshot after a gap: the server's open calls as they are now. Cards stay where they are
  // (with whatever the agent is typing); a call that ended during the gap is shown as ended.
  function resetPops(pops) {
    const open = new Set(pops.map((p) => p.pop_id));
    for (const card of [...cards.values()]) {
      const live = card.pop && (card.pop.state === "ringing" || card.pop.state === "answered");
      if (live && !open.has(card.key)) callState(card.key, { state: "ended", outcome: "answered" });
    }
    for (const pop of pops) showPop(pop);
  }

  function activate(key) {
    if (activeKey === key) return;
    const old = cards.get(activeKey);
    if (old) old.node.classList.remove("active");
    activeKey = key;
    const card = cards.get(key);
    if (card) card.node.classList.add("active");
  }

  // The card the keyboard acts on: the one being worked in, else the live call, else the newest.
  function active() {
    if (activeKey && cards.has(activeKey)) return cards.get(activeKey);
    const all = [...cards.values()].reverse();
    return all.find((c) => c.pop && (c.pop.state === "answered" || c.pop.state === "ringing")) || all[0] || null;
  }

  C.cards = { showPop, callState, openCustomer, resetPops, refresh, active, activate, remove, all: () => [...cards.values()] };
})();
