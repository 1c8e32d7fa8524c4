// Supervisor actions from the wallboard: a seat of the watcher's own team opens a menu (listen,
// whisper, barge in, force pause with a reason, unpause, force logout); every action asks for
// confirmation first. What the PBX then does comes back on the board like any other change.
"use strict";
(function () {
  const W = window.crm.wallboard;
  const t = W.t;
  const $ = (id) => document.getElementById(id);
  const menu = $("wb-menu"), actionsEl = $("wb-menu-actions"), confirmEl = $("wb-confirm");
  const reasonSel = $("wb-reason"), result = $("wb-menu-result"), yes = $("wb-confirm-yes");
  const SPY = ["listen", "whisper", "barge"];
  let agent = null;    // interface of the seat the menu is for
  let pending = null;  // the action waiting for its confirmation: {url, body}

  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));

  function open(iface) {
    const seat = W.seat(iface);
    if (!seat || !seat.actions || !seat.agent_id) return;
    agent = iface;
    pending = null;
    say("", "");
    fillReasons();
    refresh(seat);
    showConfirm(false);
    if (!menu.open) menu.showModal();
  }

  // What can be done depends on the seat's state, which may change while the menu is open.
  function refresh(seat) {
    const queues = seat.queues || [];
    $("wb-menu-title").textContent = seat.name;
    $("wb-menu-state").textContent = W.stateText(seat) + (queues.length ? " · " + queues.join(", ") : "");
    const onCall = Boolean(seat.call && seat.call.answered);
    const loggedIn = seat.state !== "logged_out";
    const allowed = {
      pause: loggedIn && seat.state !== "paused",
      unpause: seat.state === "paused",
      logout: loggedIn && queues.length > 0,
    };
    for (const button of actionsEl.querySelectorAll("button[data-action]")) {
      const action = button.dataset.action;
      button.disabled = !(SPY.includes(action) ? onCall : allowed[action]);
    }
    reasonSel.disabled = !allowed.pause;
  }

  function fillReasons() {
    const reasons = W.reasons();
    const chosen = reasonSel.value;
    reasonSel.replaceChildren(...Object.entries(reasons).map(([code, label]) => new Option(label, code)));
    if (chosen && chosen in reasons) reasonSel.value = chosen;
  }

  function ask(action) {
    const seat = W.seat(agent);
    if (!seat) return;
    const body = { agent_id: seat.agent_id };
    const values = { name: seat.name, reason: "", queues: (seat.queues || []).join(", ") };
    let url = "/api/supervisor/" + action;
    if (SPY.includes(action)) {
      url = "/api/supervisor/spy";
      body.mode = action;
    }
    if (action === "pause") {
      body.reason = reasonSel.value;
      values.reason = reasonSel.selectedOptions.length ? reasonSel.selectedOptions[0].textContent : body.reason;
    }
    pending = { url: url, body: body };
    $("wb-confirm-text").textContent = fill(t("wallboard.confirm." + action), values);
    say("", "");
    showConfirm(true);
    yes.focus();
  }

  function showConfirm(on) {
    confirmEl.hidden = !on;
    actionsEl.hidden = on;
  }

  function say(text, kind) {
    result.textContent = text;
    result.className = "wb-menu-result" + (kind ? " " + kind : "");
  }

  async function send() {
    if (!pending) return;
    const { url, body } = pending;
    pending = null;
    yes.disabled = true;
    const r = await window.crm.api("POST", url, body);
    yes.disabled = false;
    showConfirm(false);
    const seat = W.seat(agent);
    if (seat) refresh(seat);
    if (r.ok) say(t("wallboard.action.sent"), "ok");
    else say(t("wallboard.action.failed") + " " + ((r.data && r.data.message) || r.status), "err");
  }

  const seatsEl = $("wb-seats");
  seatsEl.addEventListener("click", (ev) => {
    const tile = ev.target.closest(".wb-seat.wb-act");
    if (tile) open(tile.dataset.agent);
  });
  seatsEl.addEventListener("keydown", (ev) => {
    const tile = ev.target.closest(".wb-seat.wb-act");
    if (tile && (ev.key === "Enter" || ev.key === " ")) {
      ev.preventDefault();
      open(tile.dataset.agent);
    }
  });
  actionsEl.addEventListener("click", (ev) => {
    const button = ev.target.closest("button[data-action]");
    if (button && !button.disabled) ask(button.dataset.action);
  });
  yes.addEventListener("click", send);
  $("wb-confirm-no").addEventListener("click", () => { pending = null; showConfirm(false); });
  $("wb-menu-close").addEventListener("click", () => menu.close());
  menu.addEventListener("close", () => { agent = null; pending = null; });
  W.onSeat((seat) => { if (menu.open && seat.agent === agent) refresh(seat); });
})();
