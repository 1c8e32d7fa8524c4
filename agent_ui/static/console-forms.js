// Agent console, work from the card: a service request, a complaint, a callback or a note in a
// few keystrokes (the first field is focused, Enter or Ctrl+Enter saves, Esc closes); all four are
// linked to the call the card popped for.
"use strict";
(function () {
  const C = window.crmConsole;
  const { t, el } = C;
  const cfg = C.cfg;
  const LINK_RETRIES = 6; // the call record is written beside the pop; give it a moment to exist

  const options = (prefix, codes, chosen) =>
    codes.map((code) => el("option", { value: code, selected: code === chosen }, C.label(prefix, code)));

  function field(name, text, control) {
    control.setAttribute("name", name);
    control.setAttribute("aria-label", text);
    return el("label", { class: "field field-" + name }, el("span", {}, text), control, el("span", { class: "field-error" }));
  }

  const input = (attrs) => el("input", Object.assign({ maxlength: 300 }, attrs || {}));
  const area = (attrs) => el("textarea", Object.assign({ rows: 2 }, attrs || {}));
  const select = (prefix, codes, chosen) => el("select", {}, options(prefix, codes, chosen));

  function callLink(card) {
    return card.pop ? { pbx: card.pop.call.pbx, call_id: card.pop.call.call_id } : {};
  }

  const FORMS = {
    complaint: {
      fields: () => [
        field("subject", t("console.form.subject"), input({ required: true })),
        field("severity", t("console.form.severity"), select("console.ticket.severity.", cfg.severities, "major")),
        field("demand", t("console.form.demand"), input({ maxlength: 2000 })),
        field("description", t("console.form.description"), area({ maxlength: 20000 })),
      ],
      send: (card, v) => linked(card, "/api/v1/service-requests",
        Object.assign({ customer_id: card.customer.id, type: "complaint" }, v)),
      done: (data) => t("console.form.complaint_saved", { ref: data.number }),
    },
    request: {
      fields: () => [
        field("subject", t("console.form.subject"), input({ required: true })),
        field("type", t("console.form.type"), select("console.ticket.type.", cfg.request_types, cfg.request_types[0])),
        field("priority", t("console.form.priority"), select("console.ticket.priority.", cfg.priorities, "normal")),
        field("description", t("console.form.description"), area({ maxlength: 20000 })),
      ],
      send: (card, v) => linked(card, "/api/v1/service-requests", Object.assign({ customer_id: card.customer.id }, v)),
      done: (data) => t("console.form.request_saved", { ref: data.number }),
    },
    callback: {
      fields: (card) => [
        field("number", t("console.form.number"), el("select", {}, callbackNumbers(card))),
        field("scheduled_at", t("console.form.when"), input({ type: "datetime-local" })),
        field("note", t("console.form.note"), area({ maxlength: 2000 })),
      ],
      send: (card, v) => linked(card, "/api/v1/callbacks", Object.assign(
        { customer_id: card.customer.id, assigned_user_id: cfg.me.id, scheduled_at: v.scheduled_at || null },
        { number: v.number, note: v.note })),
      done: (data) => t("console.form.callback_saved", { when: C.when(data.scheduled_at) }),
    },
    note: {
      fields: () => [field("body", t("console.form.note"), area({ required: true, rows: 3, maxlength: 20000 }))],
      send: (card, v) => linked(card, "/api/v1/customers/" + card.customer.id + "/notes", { body: v.body }),
      done: () => t("console.form.note_saved"),
    },
  };

  // The numbers to call back on: the one calling first, then the customer's others (as written).
  function callbackNumbers(card) {
    const c = card.customer;
    const shown = new Map((c.phones || []).map((p) => [p.e164, p.display]));
    if (c.number && !shown.has(c.number)) shown.set(c.number, c.number_display || c.number);
    const first = c.number ? [c.number] : [];
    return [...new Set([...first, ...shown.keys()])].map((n) => el("option", { value: n }, shown.get(n) || n));
  }

  // Work linked to the card's call (none for a card opened without one); the call record may still
  // be on its way. What was saved names the record, so the card can tell this call's work apart.
  async function linked(card, url, body) {
    const payload = Object.assign(body, callLink(card));
    for (let attempt = 0; ; attempt++) {
      const res = await C.api("POST", url, payload);
      if (res.ok && res.data && res.data.call_record_id) card.callRecordId = res.data.call_record_id;
      if (res.ok || res.status !== 400 || !res.data || res.data.field !== "call_id" || attempt >= LINK_RETRIES) return res;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  function values(form) {
    const out = {};
    for (const control of form.querySelectorAll("input, select, textarea")) {
      const v = control.value.trim();
      if (v !== "" || control.required) out[control.name] = v;
    }
    return out;
  }

  function showError(form, res) {
    const name = res.data && res.data.field;
    const control = name && form.querySelector('[name="' + name + '"]');
    if (!control) { C.notify(C.failure(res), "error"); return; }
    control.closest(".field").querySelector(".field-error").textContent = (res.data.message || "") +
      (res.data.detail ? " (" + res.data.detail + ")" : "");
    control.setAttribute("aria-invalid", "true");
    control.focus();
  }

  function open(card, kind) {
    if (!card) { C.notify(t("console.card.none_open"), "error"); return; }
    if (!card.customer.known) {
      C.notify(t("console.customer.create_first"), "error");
      const name = card.node.querySelector(".new-customer input");
      if (name) name.focus();
      return;
    }
    const spec = FORMS[kind];
    const save = el("button", { type: "submit", class: "primary" }, t("console.form.save"), el("kbd", {}, "Enter"));
    const cancel = C.button(t("console.form.cancel"), {}, () => close(card), "Esc");
    const form = el("form", { class: "work-form form-" + kind, "data-kind": kind },
      el("h3", {}, t("console.action." + kind) + (card.pop ? " · " + t("console.form.linked") : "")),
      el("div", { class: "fields" }, spec.fields(card)), el("div", { class: "buttons" }, save, cancel));
    form.addEventListener("submit", (ev) => { ev.preventDefault(); submit(card, kind, form); });
    form.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") { ev.preventDefault(); close(card); }
      else if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey || ev.target.tagName === "SELECT")) {
        ev.preventDefault(); // Enter saves from a list too, as it does from a line
        form.requestSubmit();
      }
    });
    card.parts.form.replaceChildren(form);
    C.cards.activate(card.key);
    form.querySelector("input, select, textarea").focus();
  }

  async function submit(card, kind, form) {
    if (form.dataset.busy) return;
    form.dataset.busy = "1";
    for (const e of form.querySelectorAll(".field-error")) e.textContent = "";
    const res = await FORMS[kind].send(card, values(form));
    delete form.dataset.busy;
    if (!res.ok) { showError(form, res); return; }
    C.notify(FORMS[kind].done(res.data));
    close(card);
    await C.cards.refresh(card);
  }

  function close(card) {
    card.parts.form.replaceChildren();
    card.node.focus();
  }

  C.on.add("form", open);
  C.forms = { open };
})();
