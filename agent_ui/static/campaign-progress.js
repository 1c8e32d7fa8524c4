// A campaign's progress for its supervisor (/campaigns/{id}), fetched again every few seconds:
// numbers done / pending / failed, contacts reached per hour (a Chart.js bar chart, last 24 hours)
// and the campaign's agents with their seat states. The list below is refreshed with it.
"use strict";
(function () {
  const K = window.crmCampaign;
  const { t, el } = K;
  const $ = (id) => document.getElementById(id);
  const URL = "/api/v1/campaigns/" + K.CONFIG.campaign_id + "/progress";
  const EVERY_MS = Math.max(2, Number(K.CONFIG.refresh_seconds) || 5) * 1000;
  const COUNTS = ["done", "pending", "in_progress", "failed", "skipped", "total"];
  const hourFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
    { hour: "2-digit", minute: "2-digit", hour12: false });
  let chart = null;
  let busy = false;

  function drawChart(perHour) {
    if (!window.Chart) return;
    const data = {
      labels: perHour.map((p) => hourFormat.format(new Date(p.hour))),
      datasets: [{ label: t("campaigns.progress.contacts"), data: perHour.map((p) => p.contacts), backgroundColor: "#1f3a5f" }],
    };
    if (chart) { chart.data = data; chart.update("none"); return; }
    chart = new window.Chart($("p-chart"), {
      type: "bar", data: data,
      options: { animation: false, responsive: true, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } },
    });
  }

  function agentRow(a) {
    const state = a.state || "unknown";
    return el("tr", { "data-agent": a.agent_id, class: "p-agent" }, el("td", {}, a.name),
      el("td", { class: "p-state seat-" + state }, K.T["seat." + state] || state));
  }

  function render(p) {
    for (const key of COUNTS) $("p-" + key).textContent = String(p[key] ?? 0);
    const agents = p.agents || [];
    $("p-agents").tBodies[0].replaceChildren(...(agents.length ? agents.map(agentRow)
      : [el("tr", {}, el("td", { colspan: "2", class: "empty" }, t("campaigns.progress.no_agents")))]));
    drawChart(p.contacts_per_hour || []);
    $("p-updated").textContent = t("campaigns.progress.updated", { time: hourFormat.format(new Date()) });
  }

  async function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const res = await K.api("GET", URL);
      if (res.ok) render(res.data);
      document.dispatchEvent(new CustomEvent("campaign-refresh"));
    } finally {
      busy = false;
    }
  }

  document.addEventListener("campaign-changed", refresh);
  refresh();
  setInterval(refresh, EVERY_MS);
})();
