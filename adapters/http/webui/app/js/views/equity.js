// The equity chart, drawn as SVG from GET /analytics/equity. No chart
// library: a line over time with the first, last, highest and lowest
// values labelled is all a personal account needs.

import { t } from "../i18n.js";
import { money, date } from "../format.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 640;
const H = 220;
const PAD = { top: 16, right: 16, bottom: 28, left: 88 };

function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * Draws points ([{date, equity, ...}]) into el; null means the server has
 * no equity history at all (the endpoint answered 404).
 */
export function renderEquity(el, points) {
  el.replaceChildren();
  if (points === null || !points.length) {
    const p = document.createElement("p");
    p.className = "empty";
    p.dataset.state = points === null ? "missing" : "none";
    p.textContent = t(points === null ? "equity.missing" : "equity.none");
    el.append(p);
    return;
  }
  // Pixel positions only: the labels show the strings the API sent.
  const values = points.map((p) => Number(p.equity));
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const x = (i) => PAD.left + (points.length === 1 ? (W - PAD.left - PAD.right) / 2 : (i * (W - PAD.left - PAD.right)) / (points.length - 1));
  const y = (v) => PAD.top + ((hi - v) * (H - PAD.top - PAD.bottom)) / (hi - lo);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", class: "equity", "data-points": points.length });
  root.append(svg("title", {}, t("equity.title")));
  root.append(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: H - PAD.bottom, y2: H - PAD.bottom, class: "axis" }));
  root.append(svg("line", { x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: H - PAD.bottom, class: "axis" }));
  const iHi = values.indexOf(Math.max(...values));
  const iLo = values.indexOf(Math.min(...values));
  root.append(svg("text", { x: PAD.left - 6, y: y(values[iHi]) + 4, class: "label end" }, money(points[iHi].equity)));
  if (iLo !== iHi) root.append(svg("text", { x: PAD.left - 6, y: y(values[iLo]) + 4, class: "label end" }, money(points[iLo].equity)));
  root.append(svg("text", { x: PAD.left, y: H - 8, class: "label" }, date(points[0].date)));
  if (points.length > 1) root.append(svg("text", { x: W - PAD.right, y: H - 8, class: "label end" }, date(points[points.length - 1].date)));
  const line = points.map((p, i) => `${x(i).toFixed(1)},${y(values[i]).toFixed(1)}`).join(" ");
  root.append(svg("polyline", { points: line, class: "line" }));
  points.forEach((p, i) => {
    const dot = svg("circle", { cx: x(i).toFixed(1), cy: y(values[i]).toFixed(1), r: 3, class: "dot" });
    dot.append(svg("title", {}, `${date(p.date)}: ${money(p.equity)}`));
    root.append(dot);
  });
  el.append(root);
}
