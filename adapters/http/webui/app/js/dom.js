// A small element builder. Text from the API always goes in as text nodes,
// never as HTML, so nothing a server or another user wrote can run.

/**
 * Builds an element: h("td", {class: "num", dataset: {code}}, "70,000").
 * Attributes named on* are event listeners; null and false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "class") el.className = v;
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of el. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** document.getElementById, failing loudly on a missing id. */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error("no element #" + id);
  return el;
}

/** Shows text in a message element as info, success or error. */
export function say(el, text, kind = "info") {
  el.textContent = text || "";
  el.dataset.kind = kind;
  el.hidden = !text;
}
