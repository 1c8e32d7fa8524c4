// Agent console, shared pieces: the catalog, the page's settings, DOM building, notices, a tiny
// event hub between the console's scripts. Loaded first; every other console script uses window.crmConsole.
"use strict";
(function () {
  const T = JSON.parse(document.getElementById("messages").textContent);
  const cfg = JSON.parse(document.getElementById("console-config").textContent);
  const listeners = new Map();

  // A message by key, with {name} placeholders filled in.
  function t(key, vars) {
    let text = T[key] || key;
    for (const [name, value] of Object.entries(vars || {})) text = text.split("{" + name + "}").join(value);
    return text;
  }

  // A label from the catalog when there is one, else the code itself (a code an administrator added).
  function label(prefix, code) {
    return T[prefix + code] || code;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false || child === "") continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function button(text, attrs, onClick, key) {
    const b = el("button", Object.assign({ type: "button" }, attrs || {}), text, key ? el("kbd", {}, key) : "");
    if (onClick) b.addEventListener("click", onClick);
    return b;
  }

  // A number as shown, with a button next to it that rings the agent's phone and then the number.
  function dialable(number, display, cls) {
    const digits = el("span", { class: "digits" + (cls ? " " + cls : "") }, display || number || "");
    if (!number) return digits;
    const title = t("console.dial.title", { number: display || number });
    const dial = button("", { class: "dial", "data-number": number, title: title, "aria-label": title },
      () => on.emit("dial", number, display));
    return el("span", { class: "dialable" }, digits, dial);
  }

  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleString(document.documentElement.lang || undefined,
      { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  }

  function clock(seconds) {
    const s = Math.max(0, Math.round(seconds));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // A short notice in the corner: what an action did, or why it could not.
  function notify(text, kind) {
    const box = document.getElementById("toasts");
    const note = el("p", { class: "toast " + (kind || "ok"), role: kind === "error" ? "alert" : "status" }, text);
    box.append(note);
    setTimeout(() => note.remove(), kind === "error" ? 8000 : 4000);
  }

  // What a failed API answer says, in the page's language.
  function failure(res) {
    if (res && res.data && res.data.message) return res.data.message;
    return res && res.status === 0 ? t("console.error.network") : t("error.bad_request");
  }

  const on = {
    add(name, fn) { (listeners.get(name) || listeners.set(name, []).get(name)).push(fn); },
    emit(name, ...args) { for (const fn of listeners.get(name) || []) fn(...args); },
  };

  window.crmConsole = { T, cfg, t, label, el, button, dialable, when, clock, notify, failure, on, api: window.crm.api };
})();
