// mockbatch dashboard: plain JavaScript, no build step, nothing fetched but this server.
// State arrives as snapshots on /__mockbatch/events; every control calls the control API.
"use strict";

const BASE = location.pathname.replace(/\/ui\/?$/, "");  // the control API's prefix
const STATES = ["succeeded", "failed", "cancelled", "running", "pending"];
let snap = null;          // the last snapshot
let rows = [];            // journal rows known so far
let lastSeq = 0;          // the journal's last sequence number read
let shownBatch = "";      // what the batch page last drew
let current = null;       // the batch whose page is open: {api, id}
let queue = Promise.resolve();  // snapshots are shown one after the other

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k === "onclick") node.onclick = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

function svg(tag, attrs, title) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (title) { const t = document.createElementNS(node.namespaceURI, "title"); t.textContent = title; node.append(t); }
  return node;
}

function say(text, error) {
  $("message").textContent = text;
  $("message").className = error ? "message error" : "message";
}

async function call(method, path, body, raw) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.body = raw ? body : JSON.stringify(body);
    init.headers["content-type"] = raw ? "application/yaml" : "application/json";
  }
  const response = await fetch(BASE + path, init);
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const problems = answer.problems ? ": " + answer.problems.join("; ") : "";
    say(`${method} ${BASE}${path}: ${response.status} ${answer.error || ""}${problems}`, true);
    throw new Error(answer.error || response.status);
  }
  return answer;
}

const time = (iso) => (iso ? iso.replace("T", " ").replace(/(\.\d{3})\d*/, "$1").replace("+00:00", "Z") : "");

// The status in the API's own words (what a read of the batch answers), the engine's on hover.
const statusTitle = (b) => `${b.api} answers "${b.status}"; mockbatch's engine: ${b.engine_status}`;

function progress(b) {
  const bar = el("span", { class: "bar", title: STATES.map((s) => `${b.counts[s]} ${s}`).join(", ") });
  for (const s of STATES) {
    if (b.counts[s]) bar.append(el("span", { class: "s-" + s, style: `width:${(100 * b.counts[s]) / b.item_count}%` }));
  }
  const done = b.counts.succeeded + b.counts.failed + b.counts.cancelled;
  return el("span", {}, bar, el("span", { class: "progress-label" }, `${done}/${b.item_count}`));
}

// -- the live state -------------------------------------------------------------------------

function render() {
  const c = snap.clock;
  const offset = c.offset ? ` (+${c.offset} s)` : "";
  $("clock").textContent = `${c.kind} clock ${time(c.now)}${offset}`;
  $("clock").dataset.offset = c.offset ?? "";
  $("apis").replaceChildren(...snap.apis.map((a) => el("span", {}, a)));
  const problems = snap.watch ? snap.watch.problems : [];  // serve --watch: files not reloaded
  $("watch-problems").hidden = !problems.length;
  $("watch-problems").textContent = problems.length
    ? `Not reloaded (the last good version keeps serving):\n${problems.join("\n")}` : "";
  for (const select of [$("fault-api"), $("filter-api")]) {
    const known = [...select.options].map((o) => o.value);
    for (const api of snap.apis) if (!known.includes(api)) select.append(el("option", { value: api }, api));
  }
  $("faults").replaceChildren(...snap.faults.map((f) => el("li", {}, JSON.stringify(f))));
  const body = $("batches").tBodies[0];
  body.replaceChildren(...snap.batches.map((b) => el("tr", { "data-batch": `${b.api}/${b.id}` },
    el("td", {}, b.api),
    el("td", {}, el("a", { href: `#/batch/${b.api}/${encodeURIComponent(b.id)}` }, b.meta?.name ? `${b.id} (${b.meta.name})` : b.id)),
    el("td", { class: "status", title: statusTitle(b) }, b.status),
    el("td", {}, progress(b)),
    el("td", { class: "polls" }, b.polls),
    el("td", {}, time(b.created_at)),
    el("td", {}, time(b.completed_at || b.cancelled_at)))));
}

async function readJournal() {
  const last = snap.journal.last;
  if (last < lastSeq) { rows = []; lastSeq = 0; }  // a reset: the journal started again
  if (last === lastSeq) return;
  const answer = await call("GET", `/journal?after=${lastSeq}`);
  rows = rows.concat(answer.rows).slice(-2000);
  lastSeq = rows.length ? rows[rows.length - 1].seq : last;
  renderJournal();
}

function renderJournal() {
  const api = $("filter-api").value, batch = $("filter-batch").value.trim(), status = $("filter-status").value;
  const keep = (r) => (!api || r.api === api) && (!batch || (r.batch || "").includes(batch)) &&
    (!status || (status === "violations" ? r.violations > 0 : status === "unmatched" ? r.unmatched : String(r.status).startsWith(status)));
  const shown = rows.filter(keep).slice(-500).reverse();
  $("journal").tBodies[0].replaceChildren(...shown.map((r) => {
    const note = [r.violations ? `${r.violations} violation(s)` : "", r.unmatched ? "unmatched" : "", r.outcome || ""].filter(Boolean).join("; ");
    const tr = el("tr", { class: r.violations ? "violations" : r.unmatched ? "unmatched" : "", "data-seq": r.seq, "data-api": r.api || "" },
      el("td", {}, r.seq), el("td", {}, time(r.time)), el("td", { class: "api" }, r.api || ""), el("td", {}, r.method),
      el("td", {}, r.path + (r.query ? "?" + r.query : "")), el("td", {}, r.operation || ""),
      el("td", { class: "code" }, r.status ?? ""), el("td", {}, r.batch || ""), el("td", {}, note));
    tr.onclick = () => showEntry(r.seq, tr);
    return tr;
  }));
}

async function showEntry(seq, tr) {
  document.querySelectorAll("#journal tr.selected").forEach((row) => row.classList.remove("selected"));
  tr.classList.add("selected");
  const entry = await call("GET", `/journal/${seq}`);
  $("entry").hidden = false;
  $("entry").textContent = JSON.stringify(entry, null, 2);
}

// -- one batch ------------------------------------------------------------------------------

function route() {
  const m = location.hash.match(/^#\/batch\/([^/]+)\/(.+)$/);
  $("home-view").hidden = !!m;
  $("batch-view").hidden = !m;
  shownBatch = "";
  current = m ? { api: m[1], id: decodeURIComponent(m[2]) } : null;
}

async function renderBatch(which) {
  const row = snap.batches.find((b) => b.api === which.api && b.id === which.id);
  const key = JSON.stringify([row, snap.journal.last, snap.callbacks, snap.faults]);
  if (key === shownBatch) return;
  shownBatch = key;
  const t = await call("GET", `/timeline/${which.api}/${encodeURIComponent(which.id)}`).catch(() => null);
  if (!t) { $("batch-title").textContent = `${which.api} batch ${which.id}: not found`; return; }
  const b = t.batch;
  $("batch-title").textContent = `${b.api} batch ${b.id}`;
  $("batch-status").textContent = b.status;
  $("batch-status").title = statusTitle(b);
  $("batch-progress").replaceChildren(progress(b));
  $("batch-faults").replaceChildren(...t.faults.map((f) => el("li", {}, "fault: " + JSON.stringify(f))));
  $("items").tBodies[0].replaceChildren(...b.items.map((i) => el("tr", {},
    el("td", {}, i.index), el("td", {}, i.key || ""), el("td", {}, JSON.stringify(i.input)),
    el("td", { class: "s-text-" + i.state }, i.state), el("td", {}, JSON.stringify(i.outcome)))));
  drawTimeline(t);
  showVerdicts(t.verdicts);
}

// Each assertion's verdict on the batch, from the same journal: pass, fail (its message), n/a.
function showVerdicts(verdicts) {
  $("verdicts").replaceChildren(...verdicts.map((v) => {
    const item = el("li", { class: "verdict " + (v.outcome === "n/a" ? "na" : v.outcome), "data-assertion": v.assertion },
      el("span", { class: "outcome" }, v.outcome), " ", el("code", {}, v.assertion));
    if (v.outcome === "pass") item.title = v.message;
    else item.append(el("pre", {}, v.message));
    return item;
  }));
}

function drawTimeline(t) {
  const box = $("timeline"), width = Math.max(box.clientWidth, 600), left = 80, right = width - 20;
  const times = [t.now, ...t.marks.map((m) => m.at), ...t.requests.map((r) => r.at), ...t.items.map((i) => i.at), ...t.callbacks.map((c) => c.at)];
  const ms = times.map((s) => Date.parse(s));
  const t0 = Date.parse(t.batch.created_at), t1 = Math.max(...ms, t0 + 1000);
  const x = (iso) => left + ((Date.parse(iso) - t0) / (t1 - t0)) * (right - left);
  const parts = [svg("line", { class: "axis", x1: left, x2: right, y1: 170, y2: 170 })];
  parts.push(svg("text", { x: left, y: 185 }), svg("text", { x: right, y: 185, "text-anchor": "end" }));
  parts[1].textContent = time(t.batch.created_at); parts[2].textContent = time(new Date(t1).toISOString());
  const lanes = { marks: 30, requests: 70, items: 110, callbacks: 145 };
  for (const [name, y] of Object.entries(lanes)) {
    const label = svg("text", { x: 4, y: y + 4 }); label.textContent = name; parts.push(label);
  }
  t.marks.forEach((m, n) => {  // labels alternate in height: marks often share a moment
    parts.push(svg("line", { class: "mark", x1: x(m.at), x2: x(m.at), y1: 14, y2: 160 }, `${m.kind} ${time(m.at)}`));
    const label = svg("text", { x: x(m.at) + 3, y: lanes.marks - 10 + (n % 3) * 11, class: "mark-label" });
    label.textContent = m.kind; parts.push(label);
  });
  t.requests.forEach((r, n) => {
    const cls = r.status >= 500 || r.status === null ? "bad" : r.status >= 400 ? "warn" : "ok";
    const y = lanes.requests + ((n % 3) - 1) * 6;  // overlapping polls stay visible
    parts.push(svg("circle", { class: `request ${cls}`, cx: x(r.at), cy: y, r: 5 },
      `#${r.seq} ${r.kind} ${r.method} ${r.path}?${r.query} → ${r.status}${r.outcome ? " (" + r.outcome + ")" : ""} at ${time(r.at)}`));
  });
  for (const i of t.items) {
    const cls = i.state === "succeeded" ? "ok" : i.state === "cancelled" ? "cancel" : "bad";
    parts.push(svg("rect", { class: `item ${cls}`, x: x(i.at) - 1.5, y: lanes.items - 8, width: 3, height: 16 }, `item ${i.index} ${i.state} at ${time(i.at)}`));
  }
  for (const c of t.callbacks) {
    const cls = c.status && c.status < 300 ? "cb" : "bad";
    const cx = x(c.at), cy = lanes.callbacks;
    parts.push(svg("polygon", { class: `callback ${cls}`, points: `${cx},${cy - 6} ${cx + 6},${cy} ${cx},${cy + 6} ${cx - 6},${cy}` },
      `callback attempt ${c.number} → ${c.status ?? c.error} at ${time(c.at)} (${c.url})`));
  }
  box.setAttribute("viewBox", `0 0 ${width} 190`);
  box.replaceChildren(...parts);
}

// -- controls -------------------------------------------------------------------------------

function faultBody() {
  const api = $("fault-api").value, kind = $("fault-kind").value, arg = $("fault-arg").value.trim();
  if (kind === "throttle") return { api, status: 429, times: Number(arg) || 1, retry_after: 1 };
  if (kind === "error") return { api, status: 503, times: Number(arg) || 1 };
  if (kind === "stall") return { api, batch: arg, stall: true };
  return { api, batch: arg, vanish_after_polls: 0 };
}

function wire() {
  const done = (text) => () => say(text);
  const fail = () => {};
  $("advance").onclick = () => call("POST", "/clock", { advance: Number($("advance-seconds").value) })
    .then((a) => say(`clock now ${time(a.now)}`)).catch(fail);
  $("reset").onclick = () => call("POST", "/reset").then(done("reset")).catch(fail);
  $("add-fault").onclick = () => call("POST", "/faults", faultBody()).then(done("fault added")).catch(fail);
  $("clear-faults").onclick = () => call("DELETE", "/faults").then(done("run-time faults removed")).catch(fail);
  $("scenario-file").onchange = async (e) => { $("scenario-text").value = await e.target.files[0].text(); };
  $("load-scenario").onclick = () => call("POST", "/scenarios", $("scenario-text").value, true)
    .then((a) => say(`loaded ${a.api} scenario ${a.loaded ?? ""} (${a.batches} batches)`)).catch(fail);
  for (const action of ["cancel", "finish"]) {
    $(`${action}-batch`).onclick = () => {
      call("POST", `/batches/${current.api}/${encodeURIComponent(current.id)}/${action}`).then(done(`${action}: done`)).catch(fail);
    };
  }
  for (const id of ["filter-api", "filter-batch", "filter-status"]) $(id).oninput = renderJournal;
  window.onhashchange = () => { route(); if (snap) queue = queue.then(update); };
}

async function update() {
  render();
  await readJournal().catch(() => {});
  if (current) await renderBatch(current).catch(() => {});
}

function connect() {
  const source = new EventSource(BASE + "/events");
  source.onopen = () => $("live").classList.add("on");
  source.onerror = () => $("live").classList.remove("on");
  source.onmessage = (event) => { snap = JSON.parse(event.data); queue = queue.then(update); };
}

wire();
route();
connect();
