// Agent console, the side panel: customer search (by name, company or any written form of a
// number) that opens a customer's card without a call, and the callbacks due now, the agent's own first.
"use strict";
(function () {
  const C = window.crmConsole;
  const { t, el } = C;
  const searchForm = document.getElementById("search-form");
  const searchInput = document.getElementById("search-q");
  const results = document.getElementById("search-results");
  const dueList = document.getElementById("due-callbacks");
  const dueCount = document.getElementById("due-count");
  const DUE_REFRESH_MS = 30000;

  function customerRow(c) {
    const open = C.button(c.name, { class: "open-customer", "data-id": c.id }, () => C.cards.openCustomer(c.id));
    return el("li", { class: "hit" }, open, c.company ? el("span", { class: "muted" }, " · " + c.company) : "",
      el("div", { class: "phones" }, (c.phones || []).map((p) => C.dialable(p.e164, p.display))));
  }

  async function search() {
    const q = searchInput.value.trim();
    if (!q) { results.replaceChildren(); return; }
    const res = await C.api("GET", "/api/v1/customers?limit=10&q=" + encodeURIComponent(q));
    if (!res.ok) { C.notify(C.failure(res), "error"); return; }
    const items = res.data.items || [];
    results.replaceChildren(...(items.length ? items.map(customerRow) : [el("li", { class: "empty" }, t("console.search.nothing"))]));
    const first = results.querySelector(".open-customer");
    if (first && items.length === 1) first.focus();
  }

  searchForm.addEventListener("submit", (ev) => { ev.preventDefault(); search(); });
  searchInput.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") { searchInput.value = ""; results.replaceChildren(); searchInput.blur(); }
    else if (ev.key === "ArrowDown") { const first = results.querySelector("button"); if (first) { ev.preventDefault(); first.focus(); } }
  });
  results.addEventListener("keydown", (ev) => {
    if (ev.key !== "ArrowDown" && ev.key !== "ArrowUp") return;
    const buttons = [...results.querySelectorAll(".open-customer")];
    const i = buttons.indexOf(document.activeElement);
    const next = buttons[i + (ev.key === "ArrowDown" ? 1 : -1)];
    ev.preventDefault();
    (next || searchInput).focus();
  });

  function focusSearch() { searchInput.focus(); searchInput.select(); }

  function callbackRow(cb) {
    const take = C.button(t("console.callbacks.take"), { class: "take", "data-id": cb.id }, () => take(cb));
    const who = cb.customer_name
      ? C.button(cb.customer_name, { class: "open-customer", "data-id": cb.customer_id }, () => C.cards.openCustomer(cb.customer_id))
      : el("span", {}, t("console.callbacks.unknown"));
    return el("li", { class: "due" + (cb.mine ? " mine" : ""), "data-id": cb.id },
      el("div", {}, cb.mine ? el("span", { class: "badge" }, t("console.callbacks.mine")) : "", who),
      el("div", {}, el("span", { class: "when" }, C.when(cb.next_attempt_at)), " ", C.dialable(cb.number, cb.number_display || cb.number)),
      cb.note ? el("div", { class: "muted note" }, cb.note) : "", take);
  }

  // Taking a callback dials it at once: the agent's phone rings, then the customer.
  async function take(cb) {
    const res = await C.api("POST", "/api/v1/callbacks/" + cb.id + "/accept");
    if (res.ok) C.notify(t("console.callbacks.dialling", { number: cb.number }));
    else C.notify(C.failure(res), "error");
    loadDue();
  }

  async function loadDue() {
    const res = await C.api("GET", "/api/console/callbacks");
    if (!res.ok) return;
    const items = res.data.items || [];
    dueCount.textContent = String(res.data.total || 0);
    dueList.replaceChildren(...(items.length ? items.map(callbackRow) : [el("li", { class: "empty" }, t("console.callbacks.none"))]));
  }

  document.getElementById("due-refresh").addEventListener("click", loadDue);
  loadDue();
  setInterval(loadDue, DUE_REFRESH_MS);

  C.side = { focusSearch, loadDue };
})();
