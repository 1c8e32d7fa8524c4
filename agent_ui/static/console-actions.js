// Agent console, telephony actions: click-to-dial (any number shown, or the dial box) and blind or
// attended transfer of the live call to another agent or a queue.
"use strict";
(function () {
  const C = window.crmConsole;
  const { t, el } = C;
  const dialForm = document.getElementById("dial-form");
  const dialInput = document.getElementById("dial-number");
  const dialog = document.getElementById("transfer-dialog");
  const form = document.getElementById("transfer-form");
  const target = document.getElementById("transfer-target");
  let directory = null;
  let transferring = null;

  async function dial(number, display) {
    const res = await C.api("POST", "/api/calls/dial", { number: number });
    if (res.ok) C.notify(t("console.dial.placed", { number: display || number }));
    else C.notify(C.failure(res), "error");
    return res.ok;
  }

  dialForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const number = dialInput.value.trim();
    if (!number) return;
    if (await dial(number)) { dialInput.value = ""; dialInput.blur(); }
  });
  dialInput.addEventListener("keydown", (ev) => { if (ev.key === "Escape") { dialInput.value = ""; dialInput.blur(); } });

  function focusDial() { dialInput.focus(); dialInput.select(); }

  // Agents and queues to transfer to (the directory), and the queues this seat works in.
  async function loadDirectory() {
    const res = await C.api("GET", "/api/v1/directory");
    const found = res.ok && res.data ? res.data : {};
    const seat = C.status.seat();
    const queues = [...(found.queues || []), ...((seat && seat.queues) || [])].map((q) => (typeof q === "string" ? q : q.name));
    return { agents: found.agents || [], queues: [...new Set(queues.filter(Boolean))] };
  }

  function fillTargets() {
    const agents = directory.agents.filter((a) => a.id !== C.cfg.me.id);
    const agentGroup = el("optgroup", { label: t("console.transfer.agents") }, agents.map((a) =>
      el("option", { value: "agent:" + a.id }, a.display_name + (a.extension ? " (" + a.extension + ")" : "") + (a.team ? " · " + a.team : ""))));
    const queueGroup = el("optgroup", { label: t("console.transfer.queues") }, directory.queues.map((q) =>
      el("option", { value: "queue:" + q }, q)));
    target.replaceChildren(...(agents.length ? [agentGroup] : []), ...(directory.queues.length ? [queueGroup] : []));
    target.selectedIndex = target.options.length ? 0 : -1;
  }

  async function openTransfer(card) {
    card = card || C.cards.active();
    if (!card || !card.pop || card.pop.state !== "answered") { C.notify(t("console.transfer.no_call"), "error"); return; }
    transferring = card;
    directory = await loadDirectory(); // fresh each time: agents come and go during the day
    fillTargets();
    if (!target.options.length) { C.notify(t("console.transfer.no_targets"), "error"); return; }
    document.getElementById("transfer-call").textContent = card.customer.name || card.customer.number_display || "";
    dialog.showModal();
    target.focus();
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const card = transferring;
    const [kind, value] = target.value.split(/:(.*)/s);
    const body = { pop_id: card.key, mode: form.elements.mode.value };
    if (kind === "agent") body.agent_id = Number(value); else body.queue = value;
    const res = await C.api("POST", "/api/calls/transfer", body);
    if (!res.ok) { C.notify(C.failure(res), "error"); return; }
    dialog.close();
    C.notify(t(body.mode === "blind" ? "console.transfer.blind_done" : "console.transfer.attended_done",
      { target: target.selectedOptions[0].textContent }));
  });
  // In the dialog, B and A pick the mode without leaving the target list.
  dialog.addEventListener("keydown", (ev) => {
    const mode = { b: "blind", a: "attended" }[ev.key.toLowerCase()];
    if (mode && !ev.ctrlKey && !ev.metaKey && !ev.altKey) { form.elements.mode.value = mode; ev.preventDefault(); }
  });
  document.getElementById("transfer-cancel").addEventListener("click", () => dialog.close());

  C.on.add("dial", dial);
  C.on.add("transfer", openTransfer);
  C.actions = { dial, focusDial, openTransfer };
})();
