// Agent console, the stream (loaded last, it starts the console): one WebSocket that reconnects by
// itself (backing off) and resumes where it left off (?stream=&since=), or resets from the server's snapshot.
"use strict";
(function () {
  const C = window.crmConsole;
  const { t, el } = C;
  const linkEl = document.getElementById("link-state");
  const alarmsEl = document.getElementById("alarms");
  let retry = 500;
  let stream = null;
  let lastSeq = 0;

  function renderAlarm(alarm) {
    const text = (C.T["alarm." + alarm.kind] || alarm.kind) + (alarm.detail ? ": " + alarm.detail : "");
    alarmsEl.prepend(el("p", { class: "alarm", role: "alert" }, new Date(alarm.at * 1000).toLocaleTimeString() + " " + text));
    while (alarmsEl.childElementCount > 5) alarmsEl.lastElementChild.remove();
  }

  function onMessage(msg) {
    if (msg.type === "hello") { stream = msg.stream; return; }
    if (msg.type === "snapshot") {
      C.cards.resetPops(msg.pops || []);
      C.status.render(msg.seat);
      lastSeq = msg.seq;
      return;
    }
    if (msg.seq) lastSeq = msg.seq;
    if (msg.type === "pop") C.cards.showPop(msg);
    else if (msg.type === "call_state") C.cards.callState(msg.pop_id, msg);
    else if (msg.type === "seat") C.status.render(msg);
    else if (msg.type === "alarm") renderAlarm(msg);
    else if (msg.type === "campaign_attempt") C.on.emit("campaign_attempt", msg);
  }

  function later() { setTimeout(connect, retry); retry = Math.min(retry * 2, 15000); }

  function linkState(up) {
    linkEl.textContent = t(up ? "console.link.up" : "console.link.down");
    linkEl.className = up ? "up" : "down";
  }

  function connect() {
    const resume = stream ? "?stream=" + encodeURIComponent(stream) + "&since=" + lastSeq : "";
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws" + resume);
    ws.onopen = () => { retry = 500; linkState(true); };
    ws.onmessage = (ev) => {
      let msg = null;
      try { msg = JSON.parse(ev.data); } catch (e) { return; } // "pong"
      onMessage(msg);
    };
    ws.onclose = (ev) => {
      linkState(false);
      if (ev.code === 4401) { location.href = "/login"; return; }
      // A refused handshake looks like any other drop: ask whether the session is still alive.
      fetch("/api/me", { credentials: "same-origin" }).then((r) => {
        if (r.status === 401) location.href = "/login"; else later();
      }, later);
    };
  }

  connect();
})();
