// Reports (/reports): KPI charts and tables from /api/v1/reports/kpi and the agent performance
// table from /api/v1/reports/agents. Every figure is shown with its definition and the settings
// it was computed with, as the API states them; CSV links always carry the range on screen.
// Charts are Chart.js (vendored in /static/vendor, no CDN).
"use strict";
(function () {
  const T = JSON.parse(document.getElementById("messages").textContent);
  const CONFIG = JSON.parse(document.getElementById("reports-config").textContent);
  const t = (key) => T[key] || key;
  const $ = (id) => document.getElementById(id);
  const form = $("r-form");
  const FIELDS = ["from", "to", "interval", "by"];
  const DIMS = { queue: ["queue"], agent: ["agent_name"], team: ["team"] };
  const AGENT_COLUMNS = ["calls", "inbound_calls", "outbound_calls", "talk_seconds", "hold_seconds", "aht",
    "wrapup_seconds", "logged_in_seconds", "ready_seconds", "pause_seconds", "pause_by_reason", "occupancy",
    "satisfaction", "callbacks_made", "callbacks_succeeded"];
  const AGENT_UNITS = { talk_seconds: "s", hold_seconds: "s", aht: "s", wrapup_seconds: "s",
    logged_in_seconds: "s", ready_seconds: "s", pause_seconds: "s", occupancy: "%" };
  const COLORS = { offered: "#5b7aa6", answered: "#2e8b57", abandoned: "#c0392b", service_level: "#1f3a5f",
    abandon_rate: "#c0392b", aht: "#7d3c98", asa: "#d68910" };
  const charts = {};
  let reasons = {}, asked = 0;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
    return node;
  }

  function clock(value) {
    const s = Math.round(value), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(s % 60).padStart(2, "0");
  }

  // A figure as a person reads it: "—" when it has no denominator, m:ss for durations, "85.5%".
  function show(value, unit) {
    if (value === null || value === undefined) return "—";
    if (unit === "s") return clock(value);
    if (unit === "%") return (Math.round(value * 10) / 10) + "%";
    return String(Math.round(value * 100) / 100);
  }

  function params(names) {
    const out = new URLSearchParams();
    for (const name of names) if (form.elements[name].value) out.set(name, form.elements[name].value);
    return out;
  }

  function days() {
    const from = Date.parse(form.elements.from.value), to = Date.parse(form.elements.to.value);
    return Number.isNaN(from) || Number.isNaN(to) ? 1 : Math.round((to - from) / 86400000) + 1;
  }

  // The charts always run along time: the chosen interval, or a sensible one when "none" is chosen.
  function chartInterval() {
    const chosen = form.elements.interval.value;
    if (chosen !== "none") return chosen;
    return days() > 1 ? "day" : "hour";
  }

  function intervalLabel(iso, interval) {
    if (!iso) return t("reports.whole_range");
    const day = iso.slice(0, 10), time = iso.slice(11, 16);
    if (interval === "day") return day;
    return days() > 1 ? day.slice(5) + " " + time : time;
  }

  function showError(data) {
    for (const label of form.querySelectorAll(".h-field.invalid")) label.classList.remove("invalid");
    const box = $("r-error");
    if (!data) { box.hidden = true; box.textContent = ""; return; }
    const field = data.field && form.querySelector('.h-field[data-field="' + data.field + '"]');
    if (field) field.classList.add("invalid");
    box.textContent = t("reports.error") + " " + (field ? field.firstChild.textContent.trim() + ": " : "")
      + (data.detail || data.message || "");
    box.hidden = false;
  }

  function settingText(report, key) {
    let value = report.settings[key];
    if (typeof value === "boolean") value = t(value ? "reports.yes" : "reports.no");
    else if (key === "service_level_abandons") value = t("reports.sl_abandons." + value);
    else if (key.endsWith("_seconds")) value = value + " " + t("reports.unit.seconds");
    else if (key === "fcr_days") value = value + " " + t("reports.unit.days");
    return t("reports.setting." + key) + ": " + value;
  }

  function renderSettings(report) {
    $("r-settings").replaceChildren(el("li", { class: "r-settings-title" }, t("reports.settings")),
      ...Object.keys(report.settings).map((key) => el("li", { "data-setting": key }, settingText(report, key))));
  }

  function definition(report, name) {
    const used = (report.figure_settings || {})[name] || [];
    const text = report.definition_texts[name] || "";
    return used.length ? text + " (" + used.map((key) => settingText(report, key)).join("; ") + ")" : text;
  }

  function renderDefinitions(report, agents) {
    const items = [];
    for (const name of Object.keys(report.labels)) {
      items.push(el("dt", { "data-figure": name }, report.labels[name]), el("dd", {}, definition(report, name)));
    }
    for (const name of Object.keys(agents.labels || {})) {
      if (!agents.definition_texts[name]) continue;
      items.push(el("dt", { "data-agent-figure": name }, agents.labels[name]),
        el("dd", {}, agents.definition_texts[name]));
    }
    $("r-defs").replaceChildren(...items);
    for (const box of document.querySelectorAll(".r-def [data-figures]")) {
      box.replaceChildren(...box.dataset.figures.split(" ").map((name) =>
        el("p", {}, el("b", {}, bare(report.labels[name]) + ": "), definition(report, name))));
    }
  }

  // A label without the unit the CSV columns carry ("ASA (s)", "服务水平（%）"): the page shows its own.
  function bare(label) {
    return String(label || "").replace(/\s*[(（][^()（）]*[)）]\s*$/, "");
  }

  function head(label, title, unit) {
    // durations are shown as m:ss and rates with their "%": the header says so once
    const text = unit === "s" ? bare(label) + " (" + t("reports.unit.mss") + ")" : unit === "%" ? bare(label) : label;
    return el("th", { class: unit || title ? "num" : "" }, title ? el("abbr", { title: title }, text) : text);
  }

  function renderKpiTable(report, interval, by) {
    const table = $("r-kpi");
    const dims = by === "none" ? [] : by.split(",").flatMap((name) => DIMS[name]);
    const figures = Object.keys(report.labels);
    const heads = [];
    if (interval !== "none") heads.push(el("th", {}, t("kpi.label.interval_start")));
    for (const dim of dims) heads.push(el("th", {}, t("kpi.label." + dim)));
    for (const name of figures) heads.push(head(report.labels[name], definition(report, name), report.units[name]));
    table.tHead.replaceChildren(el("tr", {}, ...heads));
    const line = (row, first) => el("tr", {}, ...(interval !== "none" ? [el("td", {}, first)] : []),
      ...dims.map((dim) => el("td", {}, row[dim] ?? t("reports.none_group"))),
      ...figures.map((name) => el("td", { class: "num", "data-figure": name }, show(row[name], report.units[name]))));
    const rows = report.rows.map((row) => line(row, intervalLabel(row.interval_start, interval)));
    table.tBodies[0].replaceChildren(...(rows.length ? rows
      : [el("tr", {}, el("td", { colspan: String(heads.length), class: "empty" }, t("reports.no_data")))]));
    const total = line(report.total, t("reports.total"));
    total.className = "r-total";
    if (interval === "none" && dims.length) total.firstChild.textContent = t("reports.total");
    let foot = table.tFoot || table.createTFoot();
    foot.replaceChildren(...(interval === "none" && !dims.length ? [] : [total]));
    $("r-kpi-note").textContent = report.query.from.slice(0, 16).replace("T", " ") + " – "
      + report.query.to.slice(0, 16).replace("T", " ") + " (" + report.settings.timezone + ")";
  }

  function pauses(byReason) {
    const parts = Object.entries(byReason || {}).map(([code, seconds]) =>
      (code ? reasons[code] || code : t("kpi.label.agent.no_reason")) + " " + clock(seconds));
    return parts.join(", ") || "—";
  }

  function renderAgents(agents) {
    const table = $("r-agents");
    const heads = [el("th", {}, t("kpi.label.agent_name")), el("th", {}, t("kpi.label.team")),
      ...AGENT_COLUMNS.map((name) => head(agents.labels[name] || name, agents.definition_texts[name], AGENT_UNITS[name]))];
    table.tHead.replaceChildren(el("tr", {}, ...heads));
    const rows = agents.rows.map((row) => el("tr", { "data-agent": String(row.agent_id) },
      el("td", {}, row.agent_name), el("td", {}, row.team || ""),
      ...AGENT_COLUMNS.map((name) => name === "pause_by_reason"
        ? el("td", { class: "r-pauses" }, pauses(row.pause_by_reason))
        : el("td", { class: "num" }, show(row[name], AGENT_UNITS[name])))));
    table.tBodies[0].replaceChildren(...(rows.length ? rows
      : [el("tr", {}, el("td", { colspan: String(heads.length), class: "empty" }, t("reports.no_data")))]));
  }

  function series(report, names, interval) {
    return {
      labels: report.rows.map((row) => intervalLabel(row.interval_start, interval)),
      datasets: names.map((name) => ({
        label: bare(report.labels[name]), data: report.rows.map((row) => row[name]),
        backgroundColor: COLORS[name], borderColor: COLORS[name], spanGaps: true, pointRadius: 2,
      })),
    };
  }

  function draw(id, type, data, y) {
    if (!window.Chart) return;
    if (charts[id]) { charts[id].data = data; charts[id].update(); return; }
    charts[id] = new window.Chart($(id), {
      type: type, data: data,
      options: { animation: false, responsive: true, maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false }, scales: { y: y }, plugins: { legend: { position: "bottom" } } },
    });
  }

  function renderCharts(report, interval) {
    draw("r-volume", "bar", series(report, ["offered", "answered", "abandoned"], interval), { beginAtZero: true, ticks: { precision: 0 } });
    draw("r-sl", "line", series(report, ["service_level", "abandon_rate"], interval), { min: 0, max: 100, ticks: { callback: (v) => v + "%" } });
    draw("r-aht", "line", series(report, ["aht", "asa"], interval), { beginAtZero: true, ticks: { callback: (v) => clock(v) } });
  }

  async function get(url) {
    const answer = await window.crm.api("GET", url);
    if (!answer.ok) throw answer.data || { message: t("reports.unavailable") };
    return answer.data;
  }

  async function load() {
    const range = params(["from", "to"]), chosen = params(FIELDS);
    history.replaceState(null, "", location.pathname + "?" + chosen.toString());
    $("r-kpi-csv").href = "/api/v1/reports/kpi.csv?" + chosen.toString();
    $("r-agents-csv").href = "/api/v1/reports/agents.csv?" + range.toString();
    const interval = form.elements.interval.value, by = form.elements.by.value, along = chartInterval();
    const overTime = new URLSearchParams(range);
    overTime.set("interval", along);
    const mine = ++asked;
    form.setAttribute("aria-busy", "true");
    try {
      const table = get("/api/v1/reports/kpi?" + chosen.toString());
      const chart = by === "none" && interval === along ? table : get("/api/v1/reports/kpi?" + overTime.toString());
      const [report, timeline, agents] = await Promise.all([table, chart, get("/api/v1/reports/agents?" + range.toString())]);
      if (mine !== asked) return; // a newer choice has been made: its answer wins
      showError(null);
      renderSettings(report);
      renderCharts(timeline, along);
      renderKpiTable(report, interval, by);
      renderAgents(agents);
      renderDefinitions(report, agents);
      document.body.dataset.reportsReady = String(mine);
    } catch (problem) {
      if (mine === asked) showError(problem);
    } finally {
      if (mine === asked) form.removeAttribute("aria-busy");
    }
  }

  async function loadReasons() {
    const answer = await window.crm.api("GET", "/api/v1/pause-reasons"); // labelled in the page's language
    for (const r of (answer.ok && answer.data && answer.data.items) || []) reasons[r.code] = r.label || r.code;
  }

  const start = new URLSearchParams(location.search);
  for (const name of FIELDS) if (start.get(name)) form.elements[name].value = start.get(name);
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  for (const name of ["interval", "by"]) form.elements[name].addEventListener("change", load);
  loadReasons().finally(load);
})();
