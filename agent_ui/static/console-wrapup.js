// Agent console, wrap-up: the disposition of a call this agent took, chosen on its card (W, then
// the arrows and Enter); saving it ends the seat's wrap-up. The card whose call waits for one is marked.
"use strict";
(function () {
  const C = window.crmConsole;
  const { t, el } = C;
  const LOOKUPS = 6; // the call record is written beside the pop; give it a moment to exist
  let dispositions = (C.cfg.dispositions || []).map((code) => ({ code: code, label: C.label("admin.seed.disposition.", code) }));
  // The administrators' dispositions; the configured codes when that catalog is not there.
  const loaded = C.api("GET", "/api/v1/dispositions").then((res) => {
    if (res.ok && res.data && Array.isArray(res.data.items) && res.data.items.length) dispositions = res.data.items;
  });

  function renderDisposition(card) {
    if (!card.answeredHere || card.parts.disp.childElementCount) return;
    const choice = el("select", { name: "disposition", "aria-label": t("console.disposition.title") });
    const fill = () => choice.replaceChildren(el("option", { value: "" }, t("console.disposition.choose")),
      ...dispositions.map((d) => el("option", { value: d.code }, d.label)));
    fill();
    loaded.then(() => { if (!choice.value) fill(); });
    const saved = el("span", { class: "saved", role: "status" });
    const form = el("form", { class: "disposition" }, el("span", { class: "label" }, t("console.disposition.title")),
      choice, el("button", { type: "submit" }, t("console.disposition.save"), el("kbd", {}, "W")), saved);
    form.addEventListener("submit", (ev) => { ev.preventDefault(); saveDisposition(card, choice, saved); });
    choice.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); form.requestSubmit(); } });
    card.parts.disp.replaceChildren(form);
  }

  async function recordId(card) {
    const url = "/api/calls/lookup?pop_id=" + encodeURIComponent(card.key);
    let res = await C.api("GET", url);
    for (let attempt = 1; attempt < LOOKUPS && res.status === 404; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      res = await C.api("GET", url);
    }
    return res;
  }

  async function saveDisposition(card, choice, saved) {
    if (!choice.value) { choice.focus(); return; }
    const found = await recordId(card);
    if (!found.ok) { C.notify(C.failure(found), "error"); return; }
    const res = await C.api("POST", "/api/calls/" + found.data.id + "/disposition", { disposition: choice.value });
    if (!res.ok) { C.notify(C.failure(res), "error"); return; }
    card.disposition = res.data.disposition;
    saved.textContent = "✓ " + choice.selectedOptions[0].textContent;
    card.node.classList.add("disposed");
    card.node.classList.remove("needs-disposition");
  }

  // W: the active card's disposition, else the latest call this agent took.
  function focusDisposition() {
    const active = C.cards.active();
    const card = active && active.answeredHere ? active :
      C.cards.all().reverse().find((c) => c.answeredHere && !c.disposition);
    if (!card) { C.notify(t("console.disposition.no_call"), "error"); return; }
    renderDisposition(card);
    C.cards.activate(card.key);
    card.parts.disp.querySelector("select").focus();
  }

  C.on.add("card-state", renderDisposition);
  C.on.add("seat", (seat) => {
    if (seat.state !== "wrap_up") return;
    const card = C.cards.all().reverse().find((c) => c.answeredHere && !c.disposition);
    if (card) card.node.classList.add("needs-disposition");
  });

  C.wrapup = { focusDisposition };
})();
