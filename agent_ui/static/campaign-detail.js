// One campaign (/campaigns/{id}): its settings, start/pause/stop, building its list from a customer
// search or a CSV file (each refused row reported with its line and field), and the list itself.
"use strict";
(function () {
  const K = window.crmCampaign;
  const { t, el } = K;
  const $ = (id) => document.getElementById(id);
  const ID = K.CONFIG.campaign_id;
  const BASE = "/api/v1/campaigns/" + ID;
  const PAGE = 50;
  const CONTROLS = { draft: ["start"], running: ["pause", "stop"], paused: ["start", "stop"], stopped: [] };
  const form = $("c-edit");
  let offset = 0;

  function showError(res) {
    const box = $("c-error");
    box.textContent = res ? K.failure(res) : "";
    box.hidden = !res;
  }

  function show(c) {
    $("c-name").textContent = c.name;
    document.title = c.name + " · " + document.title.split(" · ").slice(-1)[0];
    $("c-status").replaceChildren(K.statusBadge(c.status));
    const allowed = CONTROLS[c.status] || [];
    for (const action of ["start", "pause", "stop"]) $("c-" + action).hidden = !allowed.includes(action);
  }

  async function load() {
    const res = await K.api("GET", BASE);
    if (!res.ok) {
      showError(res);
      for (const box of document.querySelectorAll(".campaign .box")) box.hidden = true;
      return;
    }
    show(res.data);
    K.fill(form, res.data);
  }

  for (const action of ["start", "pause", "stop"]) {
    const button = $("c-" + action);
    button.addEventListener("click", async () => {
      button.disabled = true;
      const res = await K.api("POST", BASE + "/" + action);
      button.disabled = false;
      showError(res.ok ? null : res);
      if (res.ok) show(res.data);
      changed();
    });
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    K.clearErrors(form);
    const res = await K.api("PATCH", BASE, K.read(form));
    if (!res.ok) { K.showError(form, res); return; }
    show(res.data);
    K.fill(form, res.data);
    form.querySelector(".cf-saved").textContent = "✓ " + t("campaigns.saved");
  });

  // The list and the progress are read again at once (campaign-progress.js listens).
  function changed() {
    document.dispatchEvent(new CustomEvent("campaign-changed"));
  }

  // Building the list.
  const searchForm = $("b-search");
  const importForm = $("b-import");

  function result(text, errors) {
    const box = $("b-result");
    box.textContent = text;
    box.hidden = !text;
    const table = $("b-errors");
    table.hidden = !errors || !errors.length;
    table.tBodies[0].replaceChildren(...(errors || []).map((e) => el("tr", { class: "b-error", "data-field": e.field },
      el("td", { class: "num" }, e.row), el("td", {}, K.T["campaigns.csv." + e.field] || e.field || ""),
      el("td", { title: e.message || "" }, rowProblem(e)))));
  }

  // What was wrong with a CSV row, in the page's language (the server's own words as the tooltip).
  function rowProblem(e) {
    const key = /do-not-call/.test(e.message || "") ? "dnc" : e.field;
    return K.T["campaigns.build.bad." + key] || e.message || "";
  }

  searchForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    K.clearErrors(searchForm);
    const body = {};
    for (const name of ["q", "kind", "tag", "region", "industry", "value_segment"]) {
      const value = searchForm.elements[name].value.trim();
      if (value) body[name] = value;
    }
    const res = await K.api("POST", BASE + "/entries/search", body);
    if (!res.ok) { K.showError(searchForm, res); return; }
    result(t("campaigns.build.search_done", res.data), []);
    changed();
  });

  // A CSV file goes as it is (text/csv); the server reads and checks every row.
  async function sendCsv(text) {
    try {
      const response = await fetch(BASE + "/entries/import", {
        method: "POST", credentials: "same-origin", body: text,
        headers: { "Content-Type": "text/csv", "Accept": "application/json", "X-CSRF-Token": window.crm.csrfToken },
      });
      let data = null;
      try { data = await response.json(); } catch (e) { data = null; }
      return { ok: response.ok, status: response.status, data: data };
    } catch (e) {
      return { ok: false, status: 0, data: null };
    }
  }

  importForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    K.clearErrors(importForm);
    const file = importForm.elements.file.files[0];
    if (!file) { importForm.elements.file.focus(); return; }
    const res = await sendCsv(await file.text());
    if (!res.ok) { K.showError(importForm, res); return; }
    const errors = res.data.errors || [];
    result(t("campaigns.build.import_done", { added: res.data.added, errors: errors.length }), errors);
    importForm.reset();
    changed();
  });

  // The list, a page at a time.
  const filter = $("e-filter");
  const entries = $("e-list").tBodies[0];

  function entryRow(e) {
    return el("tr", { "data-id": e.id, class: "e-" + e.status },
      el("td", {}, e.number), el("td", {}, e.customer_name || ""), el("td", {}, e.timezone || ""),
      el("td", { class: "e-status" }, t("campaigns.entry." + e.status)), el("td", { class: "num" }, e.attempts),
      el("td", {}, e.last_outcome ? t("campaigns.outcome." + e.last_outcome) : ""), el("td", {}, K.when(e.next_attempt_at)));
  }

  async function loadEntries() {
    const query = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
    if (filter.elements.status.value) query.set("status", filter.elements.status.value);
    const res = await K.api("GET", BASE + "/entries?" + query.toString());
    if (!res.ok) return;
    const items = res.data.items || [];
    entries.replaceChildren(...(items.length ? items.map(entryRow)
      : [el("tr", {}, el("td", { colspan: "7", class: "empty" }, t("campaigns.entries.none")))]));
    const total = res.data.total || 0;
    $("e-total").textContent = t("campaigns.entries.total", { n: total });
    $("e-page").textContent = total ? (offset + 1) + "–" + (offset + items.length) : "";
    $("e-prev").disabled = offset === 0;
    $("e-next").disabled = offset + items.length >= total;
  }

  filter.elements.status.addEventListener("change", () => { offset = 0; loadEntries(); });
  $("e-prev").addEventListener("click", () => { offset = Math.max(0, offset - PAGE); loadEntries(); });
  $("e-next").addEventListener("click", () => { offset += PAGE; loadEntries(); });
  document.addEventListener("campaign-refresh", loadEntries);

  load();
  loadEntries();
})();
