// Agent console, keyboard: one key per frequent action, listed in the help overlay (?) and on the
// buttons. Keys never fire while the agent is typing in a field, or while a dialog is open.
"use strict";
(function () {
  const C = window.crmConsole;
  const { t, el } = C;
  const help = document.getElementById("help-dialog");
  const onCard = (fn) => () => fn(C.cards.active());

  // key -> [catalog key of what it does, action]; the help overlay is built from this table.
  const KEYS = [
    ["r", "console.keys.ready", () => C.status.ready()],
    ["p", "console.keys.pause", () => C.status.openMenu()],
    ["/", "console.keys.search", () => C.side.focusSearch()],
    ["s", "console.keys.request", onCard((card) => C.forms.open(card, "request"))],
    ["c", "console.keys.complaint", onCard((card) => C.forms.open(card, "complaint"))],
    ["b", "console.keys.callback", onCard((card) => C.forms.open(card, "callback"))],
    ["n", "console.keys.note", onCard((card) => C.forms.open(card, "note"))],
    ["d", "console.keys.dial", () => C.actions.focusDial()],
    ["t", "console.keys.transfer", onCard((card) => C.actions.openTransfer(card))],
    ["w", "console.keys.disposition", () => C.wrapup.focusDisposition()],
    ["k", "console.keys.kb", onCard(focusKb)],
    ["g", "console.keys.campaign_next", () => C.campaign.next()],
    ["?", "console.keys.help", () => openHelp()],
  ];
  const BY_KEY = new Map(KEYS.map(([key, , run]) => [key, run]));

  function focusKb(card) {
    const box = card && card.node.querySelector(".kb-search input");
    if (!box) { C.notify(t("console.card.none_open"), "error"); return; }
    C.cards.activate(card.key);
    box.focus();
  }

  function typing(target) {
    return target instanceof Element && (target.isContentEditable || target.closest("input, textarea, select"));
  }

  document.addEventListener("keydown", (ev) => {
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
    if (typing(ev.target) || document.querySelector("dialog[open]") || C.status.menuOpen()) return;
    const run = BY_KEY.get(ev.key.length === 1 ? ev.key.toLowerCase() : "");
    if (!run) return;
    ev.preventDefault();
    run();
  });

  function openHelp() {
    if (!help.open) help.showModal();
  }

  const label = (key) => (key === "/" ? "/" : key === "?" ? "?" : key.toUpperCase());
  document.getElementById("help-keys").replaceChildren(...KEYS.map(([key, what]) =>
    el("tr", {}, el("td", {}, el("kbd", {}, label(key))), el("td", {}, t(what)))),
    el("tr", {}, el("td", {}, el("kbd", {}, "Esc")), el("td", {}, t("console.keys.escape"))),
    el("tr", {}, el("td", {}, el("kbd", {}, "Ctrl"), "+", el("kbd", {}, "Enter")), el("td", {}, t("console.keys.save"))));
  document.getElementById("btn-help").addEventListener("click", openHelp);
  document.getElementById("help-close").addEventListener("click", () => help.close());

  C.keys = { KEYS };
})();
