// Call history (/calls): the filter form drives /api/v1/calls; results are paged, newest first;
// a recording plays in place (the recordings API checks and audits every playback);
// the export link always carries the filter on screen. The URL keeps the filter, so a
// search can be reloaded, bookmarked or sent to a colleague (who sees only what they may).
"use strict";
(function () {
  const T = JSON.parse(document.getElementById("messages").textContent);
  const CONFIG = JSON.parse(document.getElementById("history-config").textContent);
  const t = (key) => T[key] || key;
  const $ = (id) => document.getElementById(id);
  const form = $("h-filters"), body = $("h-calls").tBodies[0];
  const FIELDS = ["from", "to", "agent_id", "queue", "number", "customer", "customer_id", "outcome",
    "direction", "min_duration", "max_duration"];
  const when = new Intl.DateTimeFormat("sv-SE", {
    timeZone: CONFIG.timezone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
  let offset = 0, total = 0, asked = 0;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
    return node;
  }

  function seconds(value) {
    if (value == null) return "–";
    const s = Math.round(value), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s % 60).padStart(2, "0");
  }

  function params() {
    const out = new URLSearchParams();
    for (const name of FIELDS) {
      const value = (form.elements[name].value || "").trim();
      if (value) out.set(name, value);
    }
    return out;
  }

  function fillForm(query) {
    for (const name of FIELDS) form.elements[name].value = query.get(name) || "";
    offset = Math.max(0, parseInt(query.get("offset") || "0", 10) || 0);
  }

  function showError(data) {
    for (const label of form.querySelectorAll(".h-field.invalid")) label.classList.remove("invalid");
    const box = $("h-error");
    if (!data) { box.hidden = true; box.textContent = ""; return; }
    const field = data.field && form.querySelector('.h-field[data-field="' + data.field + '"]');
    if (field) field.classList.add("invalid");
    box.textContent = t("history.error") + (field ? " " + field.firstChild.textContent.trim() + ": " : " ")
      + (data.detail || data.message || "");
    box.hidden = false;
  }

  function recordingCell(row) {
    if (row.recording_id) {
      const play = el("button", { type: "button", class: "h-play", "data-recording": row.recording_id,
        title: t("history.play") + " " + seconds(row.recording_seconds) }, "▶ " + t("history.play"));
      return el("td", { class: "h-rec" }, play);
    }
    if (row.recording_status) return el("td", { class: "h-rec muted" }, t("history.recording." + row.recording_status));
    return el("td", { class: "h-rec muted" }, "");
  }

  function line(row) {
    const outcome = row.outcome ? t("history.outcome." + row.outcome) : t("history.outcome.open");
    const number = row.number
      ? el("button", { type: "button", class: "h-link h-number", "data-number": row.number }, row.number_display)
      : t("history.unknown_number");
    const who = row.customer_name
      ? el("button", { type: "button", class: "h-link h-customer", "data-customer": String(row.customer_id),
        "data-name": row.customer_name }, row.customer_name)
      : el("span", { class: "muted" }, row.caller_name || "");
    return el("tr", { "data-call": String(row.id), class: "out-" + (row.outcome || "open") },
      el("td", { class: "h-when" }, el("time", { datetime: row.started_at }, when.format(new Date(row.started_at)))),
      el("td", {}, t("history.direction." + row.direction)),
      el("td", {}, number), el("td", {}, who), el("td", {}, row.queue || ""),
      el("td", {}, row.agent_name || ""), el("td", { class: "h-outcome" }, outcome),
      el("td", { class: "num" }, seconds(row.wait_seconds)), el("td", { class: "num" }, seconds(row.talk_seconds)),
      el("td", {}, row.disposition || ""), recordingCell(row));
  }

  function render(data) {
    total = data.total;
    body.replaceChildren(...(data.items.length ? data.items.map(line)
      : [el("tr", {}, el("td", { colspan: "11", class: "empty" }, t("history.none")))]));
    $("h-total").textContent = t("history.total").replace("{n}", String(total));
    const last = Math.min(total, offset + data.items.length);
    $("h-page").textContent = total ? (offset + 1) + "–" + last : "";
    $("h-prev").disabled = offset === 0;
    $("h-next").disabled = last >= total;
  }

  async function load() {
    const query = params();
    $("h-export").href = "/api/v1/calls.csv?" + query.toString();
    const shown = new URLSearchParams(query);
    if (offset) shown.set("offset", String(offset));
    history.replaceState(null, "", location.pathname + (shown.toString() ? "?" + shown : ""));
    query.set("limit", String(CONFIG.page_size));
    query.set("offset", String(offset));
    const mine = ++asked;
    form.setAttribute("aria-busy", "true");
    const answer = await window.crm.api("GET", "/api/v1/calls?" + query.toString());
    if (mine !== asked) return; // a newer search has started: its answer wins
    form.removeAttribute("aria-busy");
    if (!answer.ok) {
      showError(answer.data || { message: t("history.unavailable") });
      return;
    }
    showError(null);
    render(answer.data);
  }

  function play(button) {
    const audio = el("audio", { controls: "", preload: "auto", src: "/api/recordings/" + button.dataset.recording + "/audio" });
    audio.addEventListener("error", () => audio.replaceWith(el("span", { class: "error" }, t("history.recording.unplayable"))));
    button.replaceWith(audio);
    audio.play().catch(() => {}); // autoplay may be refused: the controls are there
  }

  body.addEventListener("click", (event) => {
    const target = event.target.closest("button");
    if (!target) return;
    if (target.classList.contains("h-play")) play(target);
    else if (target.classList.contains("h-number")) { form.elements.number.value = target.dataset.number; search(); }
    else if (target.classList.contains("h-customer")) {
      form.elements.customer_id.value = target.dataset.customer;
      form.elements.customer.value = target.dataset.name;
      search();
    }
  });
  form.elements.customer.addEventListener("input", () => { form.elements.customer_id.value = ""; });
  function search() { offset = 0; load(); }
  form.addEventListener("submit", (event) => { event.preventDefault(); search(); });
  $("h-reset").addEventListener("click", () => { form.reset(); form.elements.customer_id.value = ""; search(); });
  $("h-prev").addEventListener("click", () => { offset = Math.max(0, offset - CONFIG.page_size); load(); });
  $("h-next").addEventListener("click", () => { if (offset + CONFIG.page_size < total) { offset += CONFIG.page_size; load(); } });

  fillForm(new URLSearchParams(location.search));
  load();
})();
