// The status page: polls /v1/stats every second (and the attention and
// dead-letter lists every two), draws the orders/s chart, and looks orders up.
"use strict";
const $ = (id) => document.getElementById(id);
const RC_STATES = ["queued", "processing", "succeeded", "failed", "timed_out"];
const PO_STATES = ["pending_payment", "closing", "paid", "completed", "refund_pending", "refunded", "closed"];
const HISTORY = 120;
const RATE_WINDOW = 3;  // seconds a rate is averaged over, so 1 s polling does not look jagged
const samples = [];  // {t, created, finished}: rates in orders/s, t in seconds
const totals = [];   // {t, created, finished}: the counters as polled, last RATE_WINDOW + 1 seconds

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}
function fmtTime(iso) { return iso ? iso.replace("T", " ").replace("Z", "") : "—"; }
function n(v) { return (v ?? 0).toLocaleString("en-US"); }
function plural(k, word) { return `${n(k)} ${word}${k === 1 ? "" : "s"}`; }
// "due now", "in 42s", "in 29m 58s", "in 2h 5m" for a time ms ahead.
function untilText(ms) {
  const s = Math.round(ms / 1000);
  if (!(s > 0)) return "now";
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

async function getJSON(url, opts) {
  const r = await fetch(url, opts);
  const body = r.headers.get("content-type")?.includes("json") ? await r.json() : await r.text();
  return {status: r.status, body};
}

function adminHeaders() {
  const t = sessionStorage.getItem("orderd-admin-token");
  return t ? {Authorization: "Bearer " + t} : {};
}

// Admin actions: on 401 ask for the token once, keep it for the session, retry.
async function adminCall(method, url) {
  let r = await getJSON(url, {method, headers: adminHeaders()});
  if (r.status === 401) {
    const t = prompt("Admin token (Authorization: Bearer …)");
    if (!t) return r;
    sessionStorage.setItem("orderd-admin-token", t);
    r = await getJSON(url, {method, headers: adminHeaders()});
  }
  return r;
}

function stateTable(el, states, counts) {
  el.innerHTML = states.map((s) => {
    const v = counts?.[s] ?? 0;
    return `<tr class="s-${s}" data-status="${s}"><td><span class="pill"></span>${s.replace("_", " ")}</td>` +
           `<td class="n ${v ? "" : "zero"}">${n(v)}</td></tr>`;
  }).join("");
}

function tiles(el, items) {
  el.innerHTML = items.map(([k, v, warn]) =>
    `<div class="tile ${warn && v ? "warn" : ""}" data-key="${k}"><div class="v">${esc(typeof v === "number" ? n(v) : v)}</div>` +
    `<div class="k">${k}</div></div>`).join("");
}

function render(s) {
  $("now").textContent = fmtTime(s.now) + " UTC";
  const rc = s.recharges || {}, po = s.purchases || {};
  stateTable($("rc-states"), RC_STATES, rc.by_status);
  stateTable($("po-states"), PO_STATES, po.by_status);
  $("rc-totals").textContent = `since start: ${n(rc.created_total)} created · ${n(rc.finished_total)} finished`;
  $("po-totals").textContent = `since start: ${n(po.created_total)} created · ${n(po.payments_total)} payments · ${n(po.refunds_total)} refunds`;
  const q = s.queue || {};
  tiles($("queue"), [["ready", q.ready], ["leased", q.leased], ["waiting", q.waiting], ["dead", q.dead, true]]);
  $("dead-count").textContent = n(q.dead);
  const t = s.timers || {};
  const next = t.next_due ? untilText(Date.parse(t.next_due) - Date.parse(s.now)) : "—";
  tiles($("timers"), [["pending", t.pending], ["in wheel", t.in_wheel], ["fired", t.fired_total], ["next due", next]]);
  const kinds = Object.entries(t.by_kind || {}).filter(([k]) => k !== "_more");
  $("timer-kinds").innerHTML = kinds.map(([k, v]) => `<tr><td><span class="pill"></span>${esc(k)}</td><td class="n">${n(v)}</td></tr>`).join("");

  const now = Date.now() / 1000;
  const created = (rc.created_total || 0) + (po.created_total || 0);
  const finished = (rc.finished_total || 0) + (po.finished_total || 0);
  // Counters restart with the process: start the rates over if one went down.
  if (totals.length && (created < totals[totals.length - 1].created || finished < totals[totals.length - 1].finished))
    totals.length = 0;
  totals.push({t: now, created, finished});
  while (totals.length > 2 && now - totals[1].t >= RATE_WINDOW) totals.shift();
  const from = totals[0];
  if (now > from.t) {
    const dt = now - from.t;
    samples.push({t: now, created: (created - from.created) / dt, finished: (finished - from.finished) / dt});
    while (samples.length && now - samples[0].t > HISTORY + 1) samples.shift();
  }
  const cur = samples[samples.length - 1];
  $("rates").textContent = cur ? ` · now ${cur.created.toFixed(1)} / ${cur.finished.toFixed(1)} per s` : "";
  drawChart();
}

// A "nice" axis top for max: 4 steps of 1, 2, 2.5 or 5 × 10^k.
function niceTop(max) {
  const raw = Math.max(max, 1) / 4, pow = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((v) => v >= raw);
  return step * 4;
}

function drawChart() {
  const c = $("chart"), ctx = c.getContext("2d");
  const w = c.clientWidth, h = c.clientHeight, dpr = window.devicePixelRatio || 1;
  if (c.width !== w * dpr) { c.width = w * dpr; c.height = h * dpr; }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const top = niceTop(Math.max(0, ...samples.map((s) => Math.max(s.created, s.finished))) * 1.05);
  const left = 44, right = w - 6, bottom = h - 20, height = bottom - 8;
  ctx.strokeStyle = "#26313d"; ctx.fillStyle = "#8b98a5"; ctx.font = "11px system-ui"; ctx.lineWidth = 1;
  ctx.textAlign = "right";
  for (let i = 0; i <= 4; i++) {
    const y = Math.round(bottom - (height * i) / 4) + 0.5;
    ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(right, y); ctx.stroke();
    ctx.fillText(((top * i) / 4).toLocaleString("en-US", {maximumFractionDigits: 2}), left - 8, y + 4);
  }
  const x = (ago) => right - ((right - left) * ago) / HISTORY;  // ago: seconds before now
  ctx.textAlign = "center";
  for (let ago = HISTORY; ago >= 0; ago -= 30) ctx.fillText(ago ? `−${ago}s` : "now", Math.min(Math.max(x(ago), left + 14), right - 12), h - 4);
  ctx.textAlign = "left";
  if (samples.length < 2) return;
  const tNow = samples[samples.length - 1].t;
  const pts = (key) => samples.map((s) => [x(tNow - s.t), bottom - (height * s[key]) / top]).filter(([px]) => px >= left);
  for (const [key, color, fill] of [["created", "#4da3ff", "rgba(77,163,255,.12)"], ["finished", "#3fb950", "rgba(63,185,80,.10)"]]) {
    const p = pts(key);
    if (p.length < 2) continue;
    ctx.beginPath(); ctx.moveTo(p[0][0], bottom);
    p.forEach(([px, py]) => ctx.lineTo(px, py));
    ctx.lineTo(p[p.length - 1][0], bottom); ctx.closePath(); ctx.fillStyle = fill; ctx.fill();
    ctx.beginPath(); p.forEach(([px, py], i) => (i ? ctx.lineTo(px, py) : ctx.moveTo(px, py)));
    ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.lineJoin = "round"; ctx.stroke();
  }
}

async function refreshStats() {
  try {
    const r = await getJSON("/v1/stats");
    if (r.status === 200) render(r.body);
    const ready = await fetch("/readyz");
    $("ready").textContent = ready.ok ? "ready" : "not ready";
    $("ready").className = "badge " + (ready.ok ? "ok" : "bad");
  } catch (e) {
    $("ready").textContent = "unreachable";
    $("ready").className = "badge bad";
  }
}

async function refreshLists() {
  try {
    const a = (await getJSON("/v1/attention")).body.items || [];
    $("attention-count").textContent = a.length >= 50 ? "50+" : a.length;
    $("attention").innerHTML = a.length ? a.map((i) =>
      `<li><div class="main"><span class="kind">${esc(i.kind)}</span><span class="link" data-order="${esc(i.order_id)}">${esc(i.order_id)}</span>` +
      `<div class="detail">${esc(i.detail)}</div></div><span class="muted">${esc(fmtTime(i.since).slice(11, 19))}</span></li>`).join("")
      : `<li class="empty">nothing needs a person</li>`;
    const d = (await getJSON("/v1/dead-letters")).body.items || [];
    $("dead").innerHTML = d.length ? d.map((j) =>
      `<li data-dead="${esc(j.id)}"><div class="main"><span class="kind">${esc(j.type)}</span><span class="link" data-order="${esc(j.order_id)}">${esc(j.order_id)}</span>` +
      `<div class="detail">${plural(j.attempts, "attempt")} · ${esc(j.reason)}</div></div>` +
      `<button class="replay" data-id="${esc(j.id)}">Replay</button><button class="delete danger" data-id="${esc(j.id)}">Delete</button></li>`).join("")
      : `<li class="empty">no dead letters</li>`;
  } catch (e) { /* the next poll tries again */ }
}

async function deadAction(id, replay) {
  const r = await adminCall(replay ? "POST" : "DELETE", `/v1/dead-letters/${encodeURIComponent(id)}${replay ? "/replay" : ""}`);
  if (r.status >= 300) alert(`${replay ? "Replay" : "Delete"} failed: ${r.body?.detail || r.status}`);
  refreshLists(); refreshStats();
}

// Timeline dot colour for an event type: bad (red), good (green), warn
// (amber: waiting, retrying, refunding), end (violet: closed), else blue.
function cls(t) {
  if (/fail|timed_out|timeout|mismatch|late|error|unknown/.test(t)) return "bad";
  if (/^(paid|completed|refund_done|refunded|step_done|succeeded)$|: success$/.test(t)) return "good";
  if (/unpaid|closing|retry|refused|refund_(queued|requested|waiting)|reconciler/.test(t)) return "warn";
  if (t === "closed") return "end";
  return "";
}

function timeline(o) {
  if (o.id.startsWith("rc_")) {
    const events = [{at: o.created_at, type: "created", detail: `account ${o.account}, amount ${o.amount}`}];
    for (const a of o.attempts || []) {
      events.push({at: a.started_at, type: `attempt ${a.n}`, detail: "started"});
      if (a.ended_at) events.push({at: a.ended_at, type: `attempt ${a.n}: ${a.outcome}`, detail: a.reason});
    }
    if (o.finished_at) events.push({at: o.finished_at, type: o.status, detail: ""});
    if (o.late_result) events.push({at: o.late_result.at, type: "late result", detail: o.late_result.status});
    return events;
  }
  return o.events || [];
}

async function lookup(id) {
  id = id.trim();
  if (!id) return;
  $("lookup-id").value = id;
  const url = id.startsWith("rc_") ? `/v1/recharges/${encodeURIComponent(id)}` : `/v1/orders/${encodeURIComponent(id)}`;
  const r = await getJSON(url);
  const out = $("lookup-result");
  if (r.status !== 200) { out.innerHTML = `<span class="muted">${esc(r.body?.detail || "not found")}</span>`; return; }
  const o = r.body;
  const money = o.id.startsWith("po_") ? `<span>amount <b>${n(o.amount)}</b></span><span>paid <b>${n(o.paid)}</b></span><span>refunded <b>${n(o.refunded)}</b></span>`
                                       : `<span>amount <b>${n(o.amount)}</b></span><span>deadline ${esc(fmtTime(o.deadline_at))}</span>`;
  const steps = o.steps ? `<span>steps ${Object.entries(o.steps).map(([k, v]) => `${esc(k)}: <b>${esc(v)}</b>`).join(", ")}</span>` : "";
  out.innerHTML = `<div class="order-head"><span><b>${esc(o.id)}</b></span><span class="s-${esc(o.status)}"><span class="pill"></span><b id="lookup-status">${esc(o.status)}</b></span>${money}${steps}</div>` +
    `<ul class="timeline" id="timeline">${timeline(o).map((e) =>
      `<li class="${cls(e.type)}"><span class="at">${esc(fmtTime(e.at).slice(11))}</span><span class="type">${esc(e.type)}</span><span class="muted">${esc(e.detail)}</span></li>`).join("")}</ul>`;
}

document.addEventListener("click", (e) => {
  const t = e.target;
  if (t.matches("button.replay")) deadAction(t.dataset.id, true);
  else if (t.matches("button.delete")) deadAction(t.dataset.id, false);
  else if (t.dataset.order) lookup(t.dataset.order);
});
$("lookup").addEventListener("submit", (e) => { e.preventDefault(); lookup($("lookup-id").value); });
window.addEventListener("resize", drawChart);
refreshStats(); refreshLists();
setInterval(refreshStats, 1000);
setInterval(refreshLists, 2000);
