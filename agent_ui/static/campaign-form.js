// Campaign pages, shared pieces: the catalog, DOM building, and the campaign form (filled from a
// campaign, read back into the API's body, and the API's refusal shown beside the field it names).
// Loaded first on /campaigns and /campaigns/{id}; the page scripts use window.crmCampaign.
"use strict";
(function () {
  const T = JSON.parse(document.getElementById("messages").textContent);
  const CONFIG = JSON.parse(document.getElementById("campaigns-config").textContent);
  const RETRY = ["no_answer", "busy", "voicemail", "wrong_number"];

  function t(key, vars) {
    let text = T[key] || key;
    for (const [name, value] of Object.entries(vars || {})) text = text.split("{" + name + "}").join(String(value));
    return text;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleString(document.documentElement.lang || undefined,
      { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  }

  // What a failed answer says, in the page's language.
  function failure(res) {
    if (res && res.data && (res.data.message || res.data.detail)) {
      return [res.data.message, res.data.detail].filter(Boolean).join(" · ");
    }
    return t(res && res.status === 0 ? "campaigns.error.network" : "campaigns.error.failed");
  }

  function fill(form, c) {
    const f = form.elements;
    for (const name of ["name", "purpose", "mode", "script", "caller_id", "max_attempts"]) {
      if (c[name] !== undefined && c[name] !== null) f[name].value = c[name];
    }
    if (c.team_id !== undefined && c.team_id !== null) f.team_id.value = String(c.team_id);
    const w = c.window || {};
    if (w.start) f.window_start.value = w.start;
    if (w.end) f.window_end.value = w.end;
    const days = new Set((w.days || []).map(Number));
    for (const box of form.querySelectorAll('input[name="window_days"]')) box.checked = days.has(Number(box.value));
    for (const o of RETRY) {
      const minutes = (c.retry || {})[o];
      f["retry_" + o].value = minutes === null || minutes === undefined ? "" : String(minutes);
    }
  }

  // The form as the API's body; an empty retry box means "never call again after this outcome".
  function read(form) {
    const f = form.elements;
    const number = (v) => (v.trim() === "" ? null : Number(v));
    const retry = {};
    for (const o of RETRY) retry[o] = number(f["retry_" + o].value);
    const days = [...form.querySelectorAll('input[name="window_days"]:checked')].map((b) => Number(b.value));
    const body = {
      name: f.name.value.trim(), purpose: f.purpose.value, mode: f.mode.value, script: f.script.value,
      window: { start: f.window_start.value, end: f.window_end.value, days: days },
      retry: retry, max_attempts: number(f.max_attempts.value), caller_id: f.caller_id.value.trim(),
    };
    if (f.team_id.value) body.team_id = Number(f.team_id.value);
    return body;
  }

  function clearErrors(form) {
    for (const node of form.querySelectorAll(".invalid")) node.classList.remove("invalid");
    for (const node of form.querySelectorAll(".field-error")) node.textContent = "";
    for (const box of [form.querySelector(".form-error"), document.getElementById("c-error")]) {
      if (box) { box.hidden = true; box.textContent = ""; }
    }
  }

  // The field the API named (window.days, retry.busy, ...), else the nearest group, else the form.
  function showError(form, res) {
    const name = (res.data && res.data.field) || "";
    const parts = name.split(".");
    let holder = null;
    for (let n = parts.length; n > 0 && !holder; n--) {
      holder = form.querySelector('[data-field="' + parts.slice(0, n).join(".") + '"]');
    }
    const text = failure(res);
    const slot = holder && holder.querySelector(".field-error");
    if (slot) {
      holder.classList.add("invalid");
      slot.textContent = text;
      const control = holder.querySelector("input, select, textarea");
      if (control) control.focus();
      return;
    }
    const box = form.querySelector(".form-error") || document.getElementById("c-error");
    if (box) { box.textContent = text; box.hidden = false; }
  }

  function statusBadge(status) {
    return el("span", { class: "c-badge c-" + status }, t("campaigns.status." + status));
  }

  window.crmCampaign = { T, CONFIG, t, el, when, failure, fill, read, clearErrors, showError, statusBadge,
    api: window.crm.api };
})();
