// Campaigns (/campaigns): the campaigns this person manages with start/pause/stop, a new campaign
// (opened at once to build its list), and the do-not-call list, whose numbers no campaign dials.
"use strict";
(function () {
  const K = window.crmCampaign;
  const { t, el } = K;
  const $ = (id) => document.getElementById(id);
  const list = $("c-list").tBodies[0];
  const NEXT_ACTIONS = { draft: ["start"], running: ["pause", "stop"], paused: ["start", "stop"], stopped: [] };

  function showError(res) {
    const box = $("c-error");
    box.textContent = res ? K.failure(res) : "";
    box.hidden = !res;
  }

  function teamName(id) {
    return (K.CONFIG.teams || {})[id] || (id === null || id === undefined ? "" : String(id));
  }

  function row(c) {
    const buttons = (NEXT_ACTIONS[c.status] || []).map((action) => el("button", {
      type: "button", class: "c-act" + (action === "start" ? " primary" : action === "stop" ? " danger" : ""),
      "data-action": action, "data-id": c.id }, t("campaigns.action." + action)));
    return el("tr", { "data-id": c.id, class: "c-row c-row-" + c.status },
      el("td", {}, el("a", { href: "/campaigns/" + c.id, class: "c-open" }, c.name)),
      el("td", {}, t("campaigns.purpose." + c.purpose)), el("td", {}, t("campaigns.mode." + c.mode)),
      el("td", {}, teamName(c.team_id)), el("td", { class: "c-state" }, K.statusBadge(c.status)),
      el("td", { class: "row-actions" }, buttons));
  }

  async function load() {
    const res = await K.api("GET", "/api/v1/campaigns");
    if (!res.ok) { showError(res); return; }
    const items = res.data.items || [];
    list.replaceChildren(...(items.length ? items.map(row)
      : [el("tr", {}, el("td", { colspan: "6", class: "empty" }, t("campaigns.none")))]));
  }

  list.addEventListener("click", async (ev) => {
    const button = ev.target.closest("button.c-act");
    if (!button) return;
    button.disabled = true;
    const res = await K.api("POST", "/api/v1/campaigns/" + button.dataset.id + "/" + button.dataset.action);
    showError(res.ok ? null : res);
    await load();
  });

  const form = $("c-new");
  if (form) {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      K.clearErrors(form);
      const res = await K.api("POST", "/api/v1/campaigns", K.read(form));
      if (!res.ok) { K.showError(form, res); return; }
      location.href = "/campaigns/" + res.data.id; // next: build its list
    });
  }

  // The do-not-call list.
  const dncBody = $("dnc-list").tBodies[0];
  const dncAdd = $("dnc-add");
  const dncSearch = $("dnc-search");

  function dncRow(item) {
    const remove = el("button", { type: "button", class: "dnc-remove", "data-number": item.number }, t("campaigns.dnc.remove"));
    return el("tr", { "data-number": item.number }, el("td", {}, item.number), el("td", {}, item.reason || ""),
      el("td", {}, K.when(item.created_at)), el("td", { class: "row-actions" }, remove));
  }

  async function loadDnc() {
    const q = dncSearch.elements.q.value.trim();
    const res = await K.api("GET", "/api/v1/dnc" + (q ? "?q=" + encodeURIComponent(q) : ""));
    if (!res.ok) { showError(res); return; }
    const items = res.data.items || [];
    dncBody.replaceChildren(...(items.length ? items.map(dncRow)
      : [el("tr", {}, el("td", { colspan: "4", class: "empty" }, t("campaigns.dnc.none")))]));
  }

  dncAdd.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    K.clearErrors(dncAdd);
    const body = { number: dncAdd.elements.number.value.trim(), reason: dncAdd.elements.reason.value.trim() };
    const res = await K.api("POST", "/api/v1/dnc", body);
    if (!res.ok) { K.showError(dncAdd, res); return; }
    dncAdd.reset();
    await loadDnc();
  });
  dncSearch.addEventListener("submit", (ev) => { ev.preventDefault(); loadDnc(); });
  dncBody.addEventListener("click", async (ev) => {
    const button = ev.target.closest("button.dnc-remove");
    if (!button || !window.confirm(t("campaigns.dnc.confirm_remove", { number: button.dataset.number }))) return;
    const res = await K.api("DELETE", "/api/v1/dnc/" + encodeURIComponent(button.dataset.number));
    showError(res.ok ? null : res);
    await loadDnc();
  });

  load();
  loadDnc();
})();
