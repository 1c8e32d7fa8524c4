// Agent console, outbound campaigns: the panel of the agent's running campaigns and the work on one
// attempt. Preview: Next reserves a customer (card + script), the agent dials or skips with a reason.
// Progressive: the service dials and connects the agent only to an answered call ("campaign_attempt"
// on the socket, or attempts/current after a reload), so the script is shown as the call arrives.
// After the call the agent records the outcome; the disposition, requests and callbacks are the
// call card's own (linked to the call as usual).
"use strict";
(function () {
  const C = window.crmConsole;
  const { t, el } = C;
  const panel = document.getElementById("campaign-panel");
  const listEl = document.getElementById("campaign-list");
  const work = document.getElementById("campaign-work");
  const OUTCOMES = ["answered", "no_answer", "busy", "voicemail", "wrong_number"];
  const REFRESH_MS = 60000;
  let campaigns = [];
  let current = null; // {attempt, phase: reserved|dialing|connected|done, cardKey}
  let lastCampaign = null;

  const purpose = (p) => C.label("campaigns.purpose.", p);

  function campaignRow(c) {
    const running = c.status === "running";
    const action = c.mode === "preview"
      ? C.button(t("console.campaign.next"), { class: "campaign-next", "data-id": c.id, disabled: !running }, () => next(c.id), "G")
      : el("span", { class: "muted" }, t("console.campaign.progressive_hint"));
    return el("li", { class: "campaign c-" + c.status, "data-id": c.id },
      el("div", {}, el("strong", {}, c.name), el("span", { class: "muted" }, " · " + purpose(c.purpose)),
        running ? "" : el("span", { class: "badge" }, C.label("campaigns.status.", c.status))), action);
  }

  async function load() {
    const res = await C.api("GET", "/api/v1/campaigns");
    if (!res.ok) return;
    campaigns = (res.data.items || []).filter((c) => c.status === "running" || c.status === "paused");
    panel.hidden = campaigns.length === 0;
    listEl.replaceChildren(...campaigns.map(campaignRow));
  }

  // G: the next customer of the campaign last worked, else of the first running preview campaign.
  function nextFromKey() {
    if (current && current.phase !== "done") { C.notify(t("console.campaign.finish_first"), "error"); return; }
    const preview = campaigns.filter((c) => c.mode === "preview" && c.status === "running");
    const pick = preview.find((c) => c.id === lastCampaign) || preview[0];
    if (!pick) { C.notify(t("console.campaign.none"), "error"); return; }
    next(pick.id);
  }

  async function next(id) {
    if (current && current.phase !== "done") { C.notify(t("console.campaign.finish_first"), "error"); return; }
    lastCampaign = id;
    const res = await C.api("POST", "/api/v1/campaigns/" + id + "/next");
    if (res.status === 204) { C.notify(t("console.campaign.nothing")); return; }
    if (!res.ok) { C.notify(C.failure(res), "error"); load(); return; }
    show(res.data, phaseOf(res.data));
  }

  function phaseOf(attempt) {
    return { reserved: "reserved", connected: "connected" }[attempt.status] || "dialing";
  }

  // The attempt in the work area, and the customer's card among the cards (the console's own rendering).
  function show(attempt, phase) {
    if (current && current.attempt.attempt_id === attempt.attempt_id && current.phase !== "reserved") return;
    current = { attempt: attempt, phase: phase, cardKey: null };
    if (attempt.campaign) lastCampaign = attempt.campaign.id;
    const customer = attempt.customer;
    if (phase === "reserved" && customer && customer.id) { // later, the call's own card shows the customer
      const key = "customer:" + customer.id;
      const opened = C.cards.all().some((c) => c.key === key);
      C.cards.openCustomer(customer.id, customer);
      if (!opened) current.cardKey = key;
    }
    render();
  }

  function entryPart(a) {
    const e = a.entry || {};
    const who = (a.customer && a.customer.name) || e.customer_name || t("console.campaign.unknown_customer");
    const phone = ((a.customer && a.customer.phones) || []).find((p) => p.e164 === e.number);
    return el("div", { class: "cw-entry" }, el("h3", { class: "cw-name" }, who),
      el("p", {}, el("span", { class: "digits cw-number" }, phone ? phone.display : e.number || ""),
        e.attempts ? el("span", { class: "muted" }, " · " + t("console.campaign.attempts", { n: e.attempts })) : "",
        e.last_outcome ? el("span", { class: "muted" }, " · " + C.label("campaigns.outcome.", e.last_outcome)) : ""));
  }

  function buttonsFor(phase) {
    if (phase === "reserved") {
      const reason = el("input", { name: "reason", maxlength: 200, required: true, class: "cw-reason",
        placeholder: t("console.campaign.skip_reason"), "aria-label": t("console.campaign.skip_reason") });
      const skipForm = el("form", { class: "cw-skip-form" }, reason,
        el("button", { type: "submit", class: "cw-skip" }, t("console.campaign.skip")));
      skipForm.addEventListener("submit", (ev) => { ev.preventDefault(); skip(reason); });
      return [C.button(t("console.campaign.dial"), { class: "primary cw-dial" }, dial), skipForm];
    }
    if (phase === "done") {
      return [el("p", { class: "cw-saved", role: "status" }, "✓ " + t("console.campaign.saved", {
        outcome: C.label("campaigns.outcome.", current.outcome) })),
        C.button(t("console.campaign.next"), { class: "primary cw-next" }, nextFromKey, "G")];
    }
    const note = el("input", { name: "note", maxlength: 2000, class: "cw-note", placeholder: t("console.campaign.note"),
      "aria-label": t("console.campaign.note") });
    return [el("p", { class: "cw-ask" }, t("console.campaign.outcome")),
      el("div", { class: "cw-outcomes" }, OUTCOMES.map((o) => C.button(C.label("campaigns.outcome.", o),
        { class: "cw-outcome", "data-outcome": o }, () => outcome(o, note.value.trim())))), note];
  }

  function render() {
    if (!current) { work.hidden = true; work.replaceChildren(); return; }
    const a = current.attempt;
    const camp = a.campaign || {};
    work.dataset.phase = current.phase;
    work.dataset.attempt = a.attempt_id;
    work.replaceChildren(
      el("header", { class: "cw-head" }, el("strong", {}, camp.name || ""),
        camp.purpose ? el("span", { class: "tag" }, purpose(camp.purpose)) : "",
        el("span", { class: "cw-phase" }, t("console.campaign.phase." + current.phase))),
      entryPart(a),
      el("section", { class: "cw-script" }, el("h4", {}, t("console.campaign.script")),
        el("p", { class: "script-text" }, a.script || t("console.campaign.no_script"))),
      el("div", { class: "cw-buttons" }, buttonsFor(current.phase)));
    work.hidden = false;
  }

  async function dial() {
    const a = current.attempt;
    const res = await C.api("POST", "/api/v1/campaigns/attempts/" + a.attempt_id + "/dial");
    if (!res.ok) {
      const why = res.data && res.data.error;
      C.notify(res.data && res.data.message ? res.data.message : why ? C.label("campaigns.refused.", why) : C.failure(res), "error");
      // Only an answer saying so (do-not-call, window, campaign halted, PBX refused) closed the attempt;
      // otherwise (no phone, PBX down, network) the server still holds it: keep the card to try again.
      if (res.data && res.data.closed === true) finish(null);
      return;
    }
    current.phase = "dialing";
    render();
  }

  async function skip(reason) {
    const text = reason.value.trim();
    if (!text) { reason.focus(); return; }
    const res = await C.api("POST", "/api/v1/campaigns/attempts/" + current.attempt.attempt_id + "/skip", { reason: text });
    if (!res.ok) { C.notify(C.failure(res), "error"); return; }
    C.notify(t("console.campaign.skipped"));
    finish(null);
  }

  async function outcome(code, note) {
    const body = note ? { outcome: code, note: note } : { outcome: code };
    const res = await C.api("POST", "/api/v1/campaigns/attempts/" + current.attempt.attempt_id + "/outcome", body);
    if (!res.ok) { C.notify(C.failure(res), "error"); return; }
    finish(code);
  }

  // The attempt is over: the preview card goes (the call's own card stays for its disposition).
  function finish(code) {
    if (current.cardKey) C.cards.remove(current.cardKey);
    if (code === null) { current = null; render(); return; }
    current.phase = "done";
    current.outcome = code;
    render();
  }

  async function resume() {
    const res = await C.api("GET", "/api/v1/campaigns/attempts/current");
    if (res.status === 200 && res.data) show(res.data, phaseOf(res.data));
  }

  // The dialed call's own card has popped: it carries the customer from here, so the preview card goes.
  function callCardUp(card) {
    const customer = current && current.attempt.customer;
    if (!current || !current.cardKey || !card.pop || !customer || card.customer.id !== customer.id) return;
    C.cards.remove(current.cardKey);
    current.cardKey = null;
  }

  C.on.add("card-state", callCardUp);
  C.on.add("campaign_attempt", (msg) => { show(msg, "connected"); load(); });
  load().then(resume);
  setInterval(load, REFRESH_MS);

  C.campaign = { next: nextFromKey, load };
})();
