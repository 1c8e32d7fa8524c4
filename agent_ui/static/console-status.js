// Agent console, status bar: the seat as the PBX reports it (ready / paused with its reason /
// on a call / wrap-up with a countdown), and the actions that change it: ready, pause with a reason.
"use strict";
(function () {
  const C = window.crmConsole;
  const { t, el } = C;
  const seatEl = document.getElementById("seat-state");
  const countdownEl = document.getElementById("wrapup-countdown");
  const menu = document.getElementById("pause-menu");
  const pauseBtn = document.getElementById("btn-pause");
  let reasons = (C.cfg.pause_reasons || []).map((code) => ({ code: code, label: C.label("admin.seed.pause.", code) }));
  let wrapEndsAt = null;
  let current = null;

  function reasonLabel(code) {
    const found = reasons.find((r) => r.code === code);
    return found ? found.label : code;
  }

  function render(seat) {
    current = seat;
    if (!seat) { seatEl.textContent = t("seat.unknown"); seatEl.className = "seat"; setWrap(null); return; }
    seatEl.textContent = t("seat." + seat.state) + (seat.reason ? " · " + reasonLabel(seat.reason) : "");
    seatEl.className = "seat " + seat.state;
    seatEl.dataset.state = seat.state;
    setWrap(seat.state === "wrap_up" ? seat : null);
    C.on.emit("seat", seat);
  }

  // The seat's `since` comes from the PBX clock; trust it only when it agrees with ours.
  function setWrap(seat) {
    const total = Number(C.cfg.wrapup_seconds) || 0;
    if (!seat || total <= 0) { wrapEndsAt = null; countdownEl.hidden = true; return; }
    const elapsed = Date.now() / 1000 - Number(seat.since || 0);
    const plausible = elapsed >= 0 && elapsed <= total + 5;
    wrapEndsAt = Date.now() + (total - (plausible ? elapsed : 0)) * 1000;
    countdownEl.hidden = false;
    tick();
  }

  function tick() {
    if (wrapEndsAt === null) return;
    const left = (wrapEndsAt - Date.now()) / 1000;
    countdownEl.textContent = t("console.status.wrapup_left", { time: C.clock(left) });
    countdownEl.classList.toggle("late", left <= 5);
  }
  setInterval(tick, 1000);

  async function ready() {
    closeMenu();
    const res = await C.api("POST", "/api/seat/ready");
    if (!res.ok) C.notify(C.failure(res), "error");
  }

  async function pause(code) {
    closeMenu();
    const res = await C.api("POST", "/api/seat/pause", { reason: code });
    if (!res.ok) C.notify(C.failure(res), "error");
  }

  function renderMenu() {
    menu.replaceChildren(...reasons.slice(0, 9).map((r, i) => el("li", {},
      C.button(r.label, { "data-code": r.code, role: "menuitem" }, () => pause(r.code), String(i + 1)))));
  }

  function openMenu() {
    if (!reasons.length) { C.notify(t("console.pause.none"), "error"); return; }
    menu.hidden = false;
    pauseBtn.setAttribute("aria-expanded", "true");
    const first = menu.querySelector("button");
    if (first) first.focus();
  }

  function closeMenu() {
    if (menu.hidden) return;
    menu.hidden = true;
    pauseBtn.setAttribute("aria-expanded", "false");
  }

  menu.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") { closeMenu(); pauseBtn.focus(); ev.preventDefault(); return; }
    const n = Number(ev.key);
    if (n >= 1 && n <= reasons.length) { ev.preventDefault(); pause(reasons[n - 1].code); }
  });
  document.addEventListener("click", (ev) => {
    if (!menu.hidden && !menu.contains(ev.target) && ev.target !== pauseBtn && !pauseBtn.contains(ev.target)) closeMenu();
  });
  pauseBtn.addEventListener("click", () => (menu.hidden ? openMenu() : closeMenu()));
  document.getElementById("btn-ready").addEventListener("click", ready);

  // The administrators' pause reasons; the page's own list when that catalog is not there.
  C.api("GET", "/api/v1/pause-reasons").then((res) => {
    if (res.ok && res.data && Array.isArray(res.data.items) && res.data.items.length) reasons = res.data.items;
    renderMenu();
    if (current) render(current);
  });
  renderMenu();

  C.status = { render, ready, openMenu, closeMenu, menuOpen: () => !menu.hidden, seat: () => current };
})();
