// SPDX-License-Identifier: MIT
// The edgeinfer console: plain JavaScript, no library, nothing fetched from elsewhere. Views by
// URL hash: #/ (the repository), #/models/NAME (metadata, config, statistics, try it, live
// charts), #/live (charts for every model), #/health. Everything it shows comes from the server's
// KServe v2 endpoints, plus ui/info.json (model control mode) and ui/metrics (the Prometheus text,
// for latency percentiles) served next to this file. An API key typed by the user is sent as
// "Authorization: Bearer KEY" with every request.
"use strict";

const KEY_STORE = "edgeinfer.apiKey";
const THEME_STORE = "edgeinfer.theme";
const main = document.getElementById("main");
const state = { info: null, view: null, timers: [], series: {}, lastStats: null, lastHist: null };

// ---- small helpers ------------------------------------------------------------------------------

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return e;
}

function fmt(n, digits) {
  if (n === null || n === undefined || !isFinite(n)) return "–";
  const d = digits === undefined ? (Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2) : digits;
  return n.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
}

function enc(s) { return encodeURIComponent(s); }

function apiKey() { try { return sessionStorage.getItem(KEY_STORE) || ""; } catch (e) { return ""; } }

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

// Every request goes through here: the API key, and a clear message for 401/403.
async function api(method, path, body, headers) {
  const h = Object.assign({}, headers || {});
  const key = apiKey();
  if (key) h["Authorization"] = "Bearer " + key;
  let res;
  try {
    res = await fetch(path, { method, body, headers: h, cache: "no-store" });
  } catch (e) {
    throw new ApiError(0, "the server cannot be reached (" + e.message + ")");
  }
  const ctype = res.headers.get("Content-Type") || "";
  const text = await res.text();
  let doc = null;
  if (ctype.includes("json") && text) {
    try { doc = JSON.parse(text); } catch (e) { doc = null; }
  }
  if (res.status === 401 || res.status === 403) {
    showBanner(key ? "The server refused the API key (HTTP " + res.status + "): check it under API key."
                   : "The server wants an API key (HTTP " + res.status + "): enter it under API key.");
    if (!key) openKeyBox();
  }
  if (!res.ok) {
    const msg = doc && doc.error ? doc.error : (text || res.statusText).slice(0, 300);
    throw new ApiError(res.status, "HTTP " + res.status + ": " + msg);
  }
  return { status: res.status, doc, text, headers: res.headers };
}

async function getJson(path) { return (await api("GET", path)).doc; }
async function postJson(path, obj) {
  return (await api("POST", path, obj === undefined ? undefined : JSON.stringify(obj),
                    { "Content-Type": "application/json" })).doc;
}

function showBanner(msg) {
  const b = document.getElementById("banner");
  b.textContent = msg;
  b.hidden = !msg;
}

function every(ms, fn) {
  fn();
  state.timers.push(setInterval(fn, ms));
}

function clearTimers() {
  for (const t of state.timers) clearInterval(t);
  state.timers = [];
}

// ---- theme and API key --------------------------------------------------------------------------

function applyTheme(t) {
  if (t === "light" || t === "dark") document.documentElement.setAttribute("data-theme", t);
  else document.documentElement.removeAttribute("data-theme");
  const btn = document.getElementById("theme-btn");
  btn.textContent = "Theme: " + (t || "auto");
  btn.setAttribute("aria-label", "Colour theme: " + (t || "auto, as the system") + ". Change");
  redrawCharts();
}

function initTheme() {
  let t = "";
  try { t = localStorage.getItem(THEME_STORE) || ""; } catch (e) { t = ""; }
  applyTheme(t);
  document.getElementById("theme-btn").addEventListener("click", () => {
    const cur = document.documentElement.getAttribute("data-theme") || "";
    const next = cur === "" ? "light" : cur === "light" ? "dark" : "";
    try { localStorage.setItem(THEME_STORE, next); } catch (e) { /* private mode */ }
    applyTheme(next);
  });
  if (window.matchMedia) window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redrawCharts);
}

function openKeyBox() {
  const box = document.getElementById("key-box");
  box.hidden = false;
  document.getElementById("key-btn").setAttribute("aria-expanded", "true");
  const inp = document.getElementById("key-input");
  inp.value = apiKey();
  inp.focus();
}

function closeKeyBox() {
  document.getElementById("key-box").hidden = true;
  document.getElementById("key-btn").setAttribute("aria-expanded", "false");
  document.getElementById("key-btn").focus();
}

function initKey() {
  const btn = document.getElementById("key-btn");
  const label = () => { btn.textContent = apiKey() ? "API key ✓" : "API key"; };
  label();
  btn.addEventListener("click", () => (document.getElementById("key-box").hidden ? openKeyBox() : closeKeyBox()));
  document.getElementById("key-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    try { sessionStorage.setItem(KEY_STORE, document.getElementById("key-input").value.trim()); } catch (e) { /* */ }
    label();
    showBanner("");
    closeKeyBox();
    serverName();
    route();
  });
  document.getElementById("key-forget").addEventListener("click", () => {
    try { sessionStorage.removeItem(KEY_STORE); } catch (e) { /* */ }
    document.getElementById("key-input").value = "";
    label();
  });
  document.getElementById("key-close").addEventListener("click", closeKeyBox);
  document.getElementById("key-box").addEventListener("keydown", (ev) => { if (ev.key === "Escape") closeKeyBox(); });
}

// ---- health pill ----------------------------------------------------------------------------------

async function pollHealth() {
  const pill = document.getElementById("health-pill");
  let cls = "bad", text = "down";
  try {
    await api("GET", "v2/health/live");
    try { await api("GET", "v2/health/ready"); cls = "ok"; text = "ready"; }
    catch (e) { cls = "warn"; text = e.status === 401 || e.status === 403 ? "key needed" : "not ready"; }
  } catch (e) {
    if (e.status === 401 || e.status === 403) { cls = "warn"; text = "key needed"; }
  }
  pill.className = "pill " + cls;
  pill.textContent = "server " + text;
}

// ---- statistics sampling (shared by the charts) ----------------------------------------------------

const WINDOW = 60; // points kept per series (one per second)

// Parses the Prometheus histograms we need: {metric: {model: {le: count}}}.
function parseHist(text) {
  const out = {};
  const re = /^(ei_(?:request|queue|compute)_duration_seconds)_bucket\{model="([^"]*)",version="[^"]*",le="([^"]*)"\} (\d+)/;
  for (const line of text.split("\n")) {
    const m = re.exec(line);
    if (!m) continue;
    const per = (out[m[1]] = out[m[1]] || {});
    const b = (per[m[2]] = per[m[2]] || {});
    b[m[3]] = (b[m[3]] || 0) + Number(m[4]);
  }
  return out;
}

// Quantile q from the difference of two cumulative bucket sets (as Prometheus does it).
function quantile(q, now, prev) {
  const les = Object.keys(now).filter((k) => k !== "+Inf").map(Number).sort((a, b) => a - b);
  const total = (now["+Inf"] || 0) - ((prev && prev["+Inf"]) || 0);
  if (!(total > 0)) return null;
  const rank = q * total;
  let lo = 0, below = 0;
  for (const le of les) {
    const key = Object.keys(now).find((k) => Number(k) === le && k !== "+Inf");
    const c = (now[key] || 0) - ((prev && prev[key]) || 0);
    if (c >= rank) {
      const inBucket = c - below;
      return (lo + (le - lo) * (inBucket > 0 ? (rank - below) / inBucket : 1)) * 1000;
    }
    lo = le; below = c;
  }
  return lo * 1000; // in the +Inf bucket: the largest finite bound is all we know
}

function push(model, name, t, v) {
  const s = (state.series[model] = state.series[model] || {});
  const a = (s[name] = s[name] || []);
  a.push([t, v]);
  while (a.length > WINDOW) a.shift();
}

async function sample() {
  const t = Date.now() / 1000;
  let stats, hist = null;
  try { stats = await getJson("v2/models/stats"); } catch (e) { return false; }
  try { hist = parseHist((await api("GET", "ui/metrics")).text); } catch (e) { hist = null; }
  const cur = {};
  for (const m of stats.model_stats || []) {
    const is = m.inference_stats || {};
    const c = (cur[m.name] = cur[m.name] || { n: 0, ns: 0, qn: 0, qns: 0, cn: 0, cns: 0, fail: 0 });
    c.n += (is.success || {}).count || 0; c.ns += (is.success || {}).ns || 0;
    c.qn += (is.queue || {}).count || 0; c.qns += (is.queue || {}).ns || 0;
    c.cn += (is.compute_infer || {}).count || 0;
    c.cns += ((is.compute_input || {}).ns || 0) + ((is.compute_infer || {}).ns || 0) + ((is.compute_output || {}).ns || 0);
    c.fail += (is.fail || {}).count || 0;
  }
  const last = state.lastStats;
  if (last) {
    const dt = t - last.t;
    for (const [name, c] of Object.entries(cur)) {
      const p = last.cur[name];
      if (!p || dt <= 0) continue;
      const dn = c.n - p.n;
      push(name, "rps", t, dn / dt);
      push(name, "fail", t, (c.fail - p.fail) / dt);
      push(name, "queue", t, c.qn > p.qn ? (c.qns - p.qns) / (c.qn - p.qn) / 1e6 : null);
      push(name, "compute", t, c.cn > p.cn ? (c.cns - p.cns) / (c.cn - p.cn) / 1e6 : null);
      const h = hist && hist.ei_request_duration_seconds && hist.ei_request_duration_seconds[name];
      const ph = state.lastHist && state.lastHist.ei_request_duration_seconds && state.lastHist.ei_request_duration_seconds[name];
      if (h) {
        push(name, "p50", t, quantile(0.5, h, ph));
        push(name, "p99", t, quantile(0.99, h, ph));
      } else {
        push(name, "p50", t, dn > 0 ? (c.ns - p.ns) / dn / 1e6 : null); // no histograms: the mean
        push(name, "p99", t, null);
      }
    }
  }
  state.lastStats = { t, cur };
  state.lastHist = hist;
  return true;
}

// ---- charts -----------------------------------------------------------------------------------------

const charts = [];

function cssVar(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

function chartBox(title, key, models, unit) {
  const canvas = el("canvas", { role: "img", "aria-label": title });
  const legend = el("div", { class: "legend" });
  const box = el("div", { class: "chart" }, el("h3", { text: title }), canvas, legend);
  charts.push({ canvas, legend, key, models, unit, title });
  return box;
}

function drawChart(c) {
  const cv = c.canvas;
  if (!cv.isConnected) return;
  const dpr = window.devicePixelRatio || 1;
  const w = cv.clientWidth, h = cv.clientHeight;
  if (!w || !h) return;
  cv.width = Math.round(w * dpr); cv.height = Math.round(h * dpr);
  const g = cv.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const colors = [cssVar("--c1"), cssVar("--c2"), cssVar("--c3"), cssVar("--c4"), cssVar("--c5"), cssVar("--c6")];
  const models = c.models();
  const keys = Array.isArray(c.key) ? c.key : [c.key];
  const lines = [];
  models.forEach((m, i) => keys.forEach((k, j) => {
    const pts = ((state.series[m] || {})[k] || []).filter((p) => p[1] !== null && isFinite(p[1]));
    lines.push({ name: keys.length > 1 ? (models.length > 1 ? m + " " + k : k) : m, pts,
                 color: colors[(i * keys.length + j) % colors.length], dash: j > 0 });
  }));
  let max = 0;
  for (const l of lines) for (const p of l.pts) max = Math.max(max, p[1]);
  max = max > 0 ? niceMax(max) : 1;
  const now = Date.now() / 1000, left = 44, right = 8, top = 8, bottom = 20;
  g.font = "11px system-ui, sans-serif";
  g.fillStyle = cssVar("--muted");
  g.strokeStyle = cssVar("--line");
  g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = top + (h - top - bottom) * (i / 4);
    g.beginPath(); g.moveTo(left, y); g.lineTo(w - right, y); g.stroke();
    g.fillText(fmt(max * (1 - i / 4)), 2, y + 4);
  }
  g.fillText("-60 s", left, h - 5);
  g.fillText("now", w - right - 22, h - 5);
  const x = (t) => left + (w - left - right) * (1 - (now - t) / WINDOW);
  const y = (v) => top + (h - top - bottom) * (1 - v / max);
  for (const l of lines) {
    if (!l.pts.length) continue;
    g.strokeStyle = l.color; g.lineWidth = 2; g.setLineDash(l.dash ? [5, 4] : []);
    g.beginPath();
    l.pts.forEach((p, i) => (i ? g.lineTo(x(p[0]), y(p[1])) : g.moveTo(x(p[0]), y(p[1]))));
    g.stroke();
  }
  g.setLineDash([]);
  c.legend.replaceChildren(...lines.map((l) => {
    const lastv = l.pts.length ? l.pts[l.pts.length - 1][1] : null;
    return el("span", {}, el("i", { style: "background:" + l.color }), l.name + " " + fmt(lastv) + " " + c.unit);
  }));
  const summary = lines.map((l) => l.name + " " + fmt(l.pts.length ? l.pts[l.pts.length - 1][1] : null) + " " + c.unit).join(", ");
  cv.setAttribute("aria-label", c.title + ": " + (summary || "no data yet"));
}

function niceMax(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 4, 8, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function redrawCharts() { for (const c of charts) drawChart(c); }
window.addEventListener("resize", redrawCharts);

function chartsFor(models) {
  charts.length = 0;
  return el("div", { class: "charts" },
    chartBox("Requests per second", "rps", models, "req/s"),
    chartBox("Latency p50 / p99 (server, received to answered)", ["p50", "p99"], models, "ms"),
    chartBox("Queue time per request", "queue", models, "ms"),
    chartBox("Compute time per request", "compute", models, "ms"));
}

function startSampling(after) {
  every(1000, async () => { await sample(); redrawCharts(); if (after) after(); });
}

// ---- views --------------------------------------------------------------------------------------------

function setNav(name) {
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.nav === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

function errorBox(e) { return el("p", { class: "err", role: "alert", text: e.message || String(e) }); }

async function info() {
  if (state.info) return state.info;
  try { state.info = await getJson("ui/info.json"); } catch (e) { return {}; } // retried later (a key)
  return state.info;
}

async function viewModels() {
  setNav("models");
  const inf = await info();
  const explicit = inf.model_control_mode === "explicit";
  const msg = el("p", { class: "muted", id: "repo-msg", role: "status" });
  const tbody = el("tbody", { id: "model-rows" });
  const panel = el("section", { class: "panel", "aria-labelledby": "repo-h" },
    el("h1", { id: "repo-h", text: "Models" }),
    el("p", { class: "sub" }, "The model repository" + (inf.model_control_mode ? " (model control: " + inf.model_control_mode + ")" : "") +
       (explicit ? ". Load and unload models here." : ".")),
    el("div", { class: "tablewrap" }, el("table", {},
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Model" }), el("th", { scope: "col", text: "Version" }),
        el("th", { scope: "col", text: "State" }), el("th", { scope: "col", class: "hide-sm", text: "Reason" }),
        explicit ? el("th", { scope: "col", text: "Action" }) : null)),
      tbody)),
    msg);
  main.replaceChildren(panel);
  const load = async () => {
    let rows;
    try { rows = await postJson("v2/repository/index", {}); } catch (e) { tbody.replaceChildren(el("tr", {}, el("td", { colspan: 5 }, errorBox(e)))); return; }
    rows.sort((a, b) => a.name.localeCompare(b.name) || String(a.version).localeCompare(String(b.version)));
    tbody.replaceChildren(...rows.map((r) => el("tr", { "data-model": r.name },
      el("td", {}, el("a", { href: "#/models/" + enc(r.name), text: r.name })),
      el("td", { text: r.version || "–" }),
      el("td", {}, el("span", { class: "state " + r.state, text: r.state })),
      el("td", { class: "hide-sm muted", text: r.reason || "" }),
      explicit ? el("td", {}, r.state === "READY"
        ? el("button", { type: "button", "aria-label": "Unload " + r.name, onclick: () => act(r.name, "unload") }, "Unload")
        : el("button", { type: "button", "aria-label": "Load " + r.name, onclick: () => act(r.name, "load") }, "Load")) : null)));
    if (!rows.length) tbody.replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "muted", text: "The repository is empty." })));
  };
  const act = async (name, what) => {
    msg.className = "muted";
    msg.textContent = (what === "load" ? "Loading " : "Unloading ") + name + "…";
    try {
      await postJson("v2/repository/models/" + enc(name) + "/" + what);
      msg.className = "okc";
      msg.textContent = name + (what === "load" ? " loaded." : " unloaded.");
    } catch (e) {
      msg.className = "err";
      msg.textContent = name + ": " + e.message;
    }
    await load();
  };
  await load();
  every(5000, load);
}

function ioTable(title, list) {
  return el("div", {}, el("h3", { text: title }), el("div", { class: "tablewrap" }, el("table", {},
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Name" }), el("th", { scope: "col", text: "Type" }), el("th", { scope: "col", text: "Shape" }))),
    el("tbody", {}, (list || []).map((io) => el("tr", {}, el("td", { class: "mono", text: io.name }),
      el("td", { text: io.datatype }), el("td", { class: "mono", text: "[" + (io.shape || []).join(", ") + "]" })))))));
}

function statsTable(ms) {
  const is = (ms && ms.inference_stats) || {};
  const avg = (x) => (x && x.count ? x.ns / x.count / 1e6 : null);
  const rows = [
    ["Successful requests", fmt((is.success || {}).count || 0, 0), "avg " + fmt(avg(is.success)) + " ms"],
    ["Failed requests", fmt((is.fail || {}).count || 0, 0), ""],
    ["Queue", "", "avg " + fmt(avg(is.queue)) + " ms"],
    ["Compute: input", "", "avg " + fmt(avg(is.compute_input), 3) + " ms"],
    ["Compute: infer", "", "avg " + fmt(avg(is.compute_infer)) + " ms"],
    ["Compute: output", "", "avg " + fmt(avg(is.compute_output), 3) + " ms"],
    ["Inferences / executions", fmt(ms ? ms.inference_count : 0, 0) + " / " + fmt(ms ? ms.execution_count : 0, 0), ""],
  ];
  return el("table", { id: "stats-table" }, el("tbody", {}, rows.map((r) => el("tr", {},
    el("th", { scope: "row", text: r[0] }), el("td", { class: "num", text: r[1] }), el("td", { class: "num", text: r[2] })))));
}

// Offered "Classify an image" only when the model looks like what /classify serves (the
// classification head's own checks, src/tasks/classify.c): one image input [N,3,H,W] or
// [N,H,W,3] of FP32/FP16/UINT8, and a first output of class scores, [N,C] or [N,C,1,1]. A
// detection model (ppocr_det: [N,1,H,W] maps) has an image input too, and is not one.
function isClassifier(meta) {
  const ins = meta.inputs || [], outs = meta.outputs || [];
  if (ins.length !== 1 || outs.length === 0) return false;
  const i = ins[0], o = outs[0], is = i.shape || [], os = o.shape || [];
  const image = is.length === 4 && (is[1] === 3 || is[3] === 3) && ["FP32", "FP16", "UINT8"].includes(i.datatype);
  const scores = ["FP32", "FP16"].includes(o.datatype) &&
    (os.length === 2 || (os.length === 4 && os[2] === 1 && os[3] === 1));
  return image && scores;
}

// An OCR pipeline is a config-only model with platform "edgeinfer_ocr" (docs/ocr.md, /ocr).
function isOcrModel(cfg) {
  return !!(cfg && cfg.platform === "edgeinfer_ocr");
}

async function viewModel(name) {
  setNav("models");
  main.replaceChildren(el("p", { class: "muted", text: "Loading " + name + "…" }));
  let meta, cfg = null, ocrRoute = false;
  try { meta = await getJson("v2/models/" + enc(name)); } catch (e) {
    main.replaceChildren(el("section", { class: "panel" }, el("h1", { text: name }), errorBox(e), el("p", {}, el("a", { href: "#/", text: "Back to the models" }))));
    return;
  }
  try { cfg = await getJson("v2/models/" + enc(name) + "/config"); } catch (e) { cfg = null; }
  try { await api("GET", "v2/models/" + enc(name) + "/ocr"); ocrRoute = true; } catch (e) { ocrRoute = e.status === 405; }
  const classifier = isClassifier(meta);
  const statsBox = el("div", { class: "tablewrap", id: "stats-box" }, statsTable(null));
  const head = el("section", { class: "panel", "aria-labelledby": "model-h" },
    el("h1", { id: "model-h", text: meta.name }),
    el("div", { class: "headgrid" }, el("dl", { class: "kv" },
      el("dt", { text: "Versions" }), el("dd", { text: (meta.versions || []).join(", ") || "none ready" }),
      el("dt", { text: "Platform" }), el("dd", { text: meta.platform || "–" }),
      cfg ? [el("dt", { text: "Max batch size" }), el("dd", { text: String(cfg.max_batch_size) })] : null,
      cfg && cfg.dynamic_batching ? [el("dt", { text: "Dynamic batching" }), el("dd", { text: "max queue delay " + (cfg.dynamic_batching.max_queue_delay_microseconds || 0) + " µs" })] : null,
      el("dt", { text: "State" }), el("dd", { id: "model-state", text: (meta.versions || []).length ? "ready" : "not ready" })),
    el("div", {}, ioTable("Inputs", meta.inputs), ioTable("Outputs", meta.outputs))));
  const tryPanel = el("section", { class: "panel", "aria-labelledby": "try-h" }, el("h2", { id: "try-h", text: "Try it" }));
  const modes = [];
  if (classifier) modes.push(["classify", "Classify an image"]);
  // The /ocr route exists for every model: offer it for OCR pipelines only.
  const ocr = ocrRoute && isOcrModel(cfg);
  if (ocr) modes.unshift(["ocr", "Read text (OCR)"]);
  modes.push(["json", "JSON request"]);
  const pick = modes[0][0];
  const body = el("div", {});
  const tabs = el("div", { class: "tabs", role: "tablist", "aria-label": "Ways to try the model" });
  const select = (m) => {
    for (const b of tabs.children) b.setAttribute("aria-selected", String(b.dataset.mode === m));
    body.replaceChildren(m === "json" ? jsonEditor(name, meta) : imageTry(name, m));
  };
  for (const [m, label] of modes) {
    tabs.append(el("button", { type: "button", role: "tab", "data-mode": m, "aria-selected": "false", onclick: () => select(m) }, label));
  }
  if (modes.length > 1) tryPanel.append(tabs);
  tryPanel.append(body);
  select(pick);
  const stPanel = el("section", { class: "panel", "aria-labelledby": "st-h" }, el("h2", { id: "st-h", text: "Statistics" }), statsBox);
  const cfgPanel = el("section", { class: "panel" }, el("details", {}, el("summary", { text: "Configuration" }),
    el("pre", { id: "config-json", text: cfg ? JSON.stringify(cfg, null, 2) : "(the server has no configuration endpoint for this model)" })));
  main.replaceChildren(head, tryPanel, el("div", { class: "grid" }, stPanel, cfgPanel),
    el("section", { class: "panel", "aria-labelledby": "live-h" }, el("h2", { id: "live-h", text: "Live" }), chartsFor(() => [name])));
  const refresh = async () => {
    try {
      const s = await getJson("v2/models/" + enc(name) + "/stats");
      const ms = (s.model_stats || []).find((x) => x.name === name);
      statsBox.replaceChildren(statsTable(ms));
    } catch (e) { statsBox.replaceChildren(errorBox(e)); }
  };
  every(2000, refresh);
  startSampling();
}

function imageTry(name, mode) {
  const file = el("input", { type: "file", id: "try-file", accept: "image/jpeg,image/png,image/webp", "aria-describedby": "drop-hint" });
  const drop = el("label", { class: "drop", for: "try-file" },
    el("strong", { text: "Drop an image here or choose a file" }),
    el("span", { class: "muted", id: "drop-hint", text: "JPEG, PNG or WebP; it is sent to /" + mode + " and decoded by the server." }),
    file);
  const img = el("img", { alt: "", id: "try-img" });
  const canvas = el("canvas", { "aria-hidden": "true" });
  const preview = el("div", { class: "preview", hidden: true }, img, canvas);
  const out = el("div", { id: "try-result", "aria-live": "polite" });
  const run = async (f) => {
    if (!f) return;
    img.src = URL.createObjectURL(f);
    img.alt = "The image sent: " + f.name;
    preview.hidden = false;
    canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
    out.replaceChildren(el("p", { class: "muted", text: "Sending " + f.name + "…" }));
    const t0 = performance.now();
    try {
      const res = await api("POST", "v2/models/" + enc(name) + "/" + mode, f, { "Content-Type": f.type || "application/octet-stream" });
      const ms = performance.now() - t0;
      out.replaceChildren(mode === "ocr" ? ocrResult(res.doc, img, canvas, ms) : classifyResult(res.doc, ms));
    } catch (e) { out.replaceChildren(errorBox(e)); }
  };
  file.addEventListener("change", () => run(file.files[0]));
  drop.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => { ev.preventDefault(); drop.classList.remove("over"); run(ev.dataTransfer.files[0]); });
  return el("div", {}, drop, el("div", { class: "tryout" }, el("div", {}, preview), out));
}

function classifyResult(doc, ms) {
  const top = (doc && doc.top) || [];
  const best = top.length ? top[0] : null;
  return el("div", {},
    el("p", { id: "top-label" }, best ? ["Top: ", el("strong", { text: best.label !== undefined && best.label !== "" ? best.label : "#" + best.index }),
      " (" + fmt(best.score * 100, 1) + "%)"] : "No classes returned."),
    el("ul", { class: "bars", "aria-label": "Scores" }, top.map((t, i) => {
      const pct = Math.max(0, Math.min(100, t.score * 100));
      return el("li", { class: i === 0 ? "top" : "" },
        el("div", { class: "lab" }, el("b", { text: t.label !== undefined && t.label !== "" ? t.label : "#" + t.index }), el("span", { text: fmt(pct, 2) + "%" })),
        el("div", { class: "track", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": pct.toFixed(2), "aria-label": (t.label || "#" + t.index) + " score" },
          el("div", { class: "fill", style: "width:" + pct.toFixed(2) + "%" })));
    })),
    el("p", { class: "muted" }, "Image " + (doc.image ? doc.image.width + "×" + doc.image.height : "?") + ", " +
      (doc.softmax_applied ? "softmax applied, " : "") + "round trip " + fmt(ms) + " ms."));
}

// OCR lines: {polygon: [[x,y],...] or [x,y,x,y,...], text, score}, in source image pixels.
function ocrResult(doc, img, canvas, ms) {
  const lines = (doc && (doc.lines || doc.results)) || [];
  const pts = (poly) => (Array.isArray(poly && poly[0]) ? poly : (poly || []).reduce((a, v, i) => (i % 2 ? a[a.length - 1].push(v) : a.push([v]), a), []));
  let hl = -1;
  const draw = () => {
    const W = (doc.image && doc.image.width) || doc.width || img.naturalWidth;
    const H = (doc.image && doc.image.height) || doc.height || img.naturalHeight;
    if (!W || !H) return;
    const r = img.getBoundingClientRect(), dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(r.width * dpr); canvas.height = Math.round(r.height * dpr);
    const g = canvas.getContext("2d");
    g.setTransform(dpr * r.width / W, 0, 0, dpr * r.height / H, 0, 0);
    lines.forEach((l, i) => {
      const p = pts(l.polygon || l.box);
      if (p.length < 2) return;
      g.beginPath();
      p.forEach((q, k) => (k ? g.lineTo(q[0], q[1]) : g.moveTo(q[0], q[1])));
      g.closePath();
      g.lineWidth = (i === hl ? 4 : 2) * W / r.width;
      g.strokeStyle = i === hl ? "#f59e0b" : "#22c55e";
      g.stroke();
      if (i === hl) { g.fillStyle = "rgba(245,158,11,.18)"; g.fill(); }
    });
  };
  if (img.complete) requestAnimationFrame(draw); else img.onload = draw;
  const list = el("ol", { class: "ocrlines", "aria-label": "Text lines" }, lines.map((l, i) => el("li", {
    tabindex: "0", onmouseenter: () => { hl = i; draw(); }, onfocus: () => { hl = i; draw(); },
    onmouseleave: () => { hl = -1; draw(); }, onblur: () => { hl = -1; draw(); } },
    el("span", { class: "ocrtext", text: l.text }), " ", el("span", { class: "muted", text: "(" + fmt((l.score || 0) * 100, 1) + "%)" }))));
  return el("div", {}, el("p", { id: "top-label" }, lines.length + " line" + (lines.length === 1 ? "" : "s") + " found, round trip " + fmt(ms) + " ms."), list);
}

function template(meta) {
  const inputs = (meta.inputs || []).map((i) => {
    const shape = (i.shape || []).map((d) => (d < 0 ? 1 : d));
    const n = shape.reduce((a, b) => a * b, 1);
    const zero = i.datatype === "BYTES" ? "" : i.datatype === "BOOL" ? false : 0;
    return { name: i.name, shape, datatype: i.datatype, data: n <= 100000 ? new Array(n).fill(zero) : [] };
  });
  return { inputs };
}

function jsonEditor(name, meta) {
  const tpl = template(meta);
  const big = tpl.inputs.some((i) => i.data.length > 256);
  const ta = el("textarea", { id: "json-req", spellcheck: "false", "aria-label": "Request JSON" });
  ta.value = big ? JSON.stringify(tpl) : JSON.stringify(tpl, null, 2);
  const out = el("pre", { id: "json-resp", "aria-live": "polite", text: "The reply appears here." });
  const status = el("span", { class: "muted", role: "status" });
  const send = async () => {
    let body;
    try { body = JSON.stringify(JSON.parse(ta.value)); } catch (e) { out.textContent = "The request is not valid JSON: " + e.message; out.className = "err"; return; }
    status.textContent = "Sending…";
    const t0 = performance.now();
    try {
      const res = await api("POST", "v2/models/" + enc(name) + "/infer", body, { "Content-Type": "application/json" });
      out.className = "";
      out.textContent = JSON.stringify(res.doc, (k, v) => (Array.isArray(v) && v.length > 64 && typeof v[0] !== "object" ? v.slice(0, 64).concat(["… " + (v.length - 64) + " more"]) : v), 2);
      status.textContent = "HTTP " + res.status + " in " + fmt(performance.now() - t0) + " ms";
    } catch (e) { out.className = "err"; out.textContent = e.message; status.textContent = ""; }
  };
  ta.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); send(); } });
  return el("div", {},
    el("p", { class: "muted" }, "A KServe v2 request for /infer, filled with zeros from the metadata (variable dims set to 1). Edit and send (Ctrl+Enter)."),
    ta, el("div", { class: "row" }, el("button", { type: "button", class: "primary", id: "json-send", onclick: send }, "Send"),
      el("button", { type: "button", onclick: () => { ta.value = JSON.stringify(template(meta), null, 2); } }, "Reset"), status),
    el("div", { class: "spacer" }), out);
}

async function viewLive() {
  setNav("live");
  const known = new Set();
  const models = () => [...known].sort();
  const note = el("p", { class: "sub", text: "Every model, sampled each second from /v2/models/stats (and the latency histograms). Send some requests to see lines." });
  main.replaceChildren(el("section", { class: "panel", "aria-labelledby": "live-h" }, el("h1", { id: "live-h", text: "Live" }), note, chartsFor(models)));
  startSampling(() => { for (const m of Object.keys(state.series)) known.add(m); });
}

async function viewHealth() {
  setNav("health");
  const box = el("dl", { class: "kv", id: "health-kv" });
  main.replaceChildren(el("section", { class: "panel", "aria-labelledby": "h-h" }, el("h1", { id: "h-h", text: "Health" }), box));
  const refresh = async () => {
    const rows = [];
    const probe = async (p) => { try { await api("GET", p); return "yes"; } catch (e) { return e.status ? "no (HTTP " + e.status + ")" : "unreachable"; } };
    rows.push(["Live", await probe("v2/health/live")], ["Ready", await probe("v2/health/ready")]);
    try {
      const s = await getJson("v2");
      rows.push(["Server", s.name + " " + s.version], ["Extensions", (s.extensions || []).join(", ")]);
    } catch (e) { rows.push(["Server", e.message]); }
    const inf = await info();
    if (inf.model_control_mode) rows.push(["Model control", inf.model_control_mode]);
    try {
      const t = (await api("GET", "ui/metrics")).text;
      const val = (n) => { const m = new RegExp("^" + n + " ([0-9.e+]+)$", "m").exec(t); return m ? Number(m[1]) : null; };
      const up = val("ei_uptime_seconds"), rss = val("process_resident_memory_bytes");
      if (up !== null) rows.push(["Uptime", fmt(up / 60, 1) + " min"]);
      if (rss !== null) rows.push(["Resident memory", fmt(rss / 1048576, 0) + " MiB"]);
      const classes = [...t.matchAll(/^ei_http_requests_total\{code="(\dxx)"\} (\d+)$/gm)].map((m) => m[1] + ": " + m[2]);
      if (classes.length) rows.push(["HTTP answers", classes.join(", ")]);
    } catch (e) { /* metrics are optional */ }
    box.replaceChildren(...rows.flatMap((r) => [el("dt", { text: r[0] }), el("dd", { text: r[1] })]));
  };
  every(3000, refresh);
}

// ---- router ---------------------------------------------------------------------------------------------

async function route() {
  clearTimers();
  charts.length = 0;
  state.series = {};
  state.lastStats = null;
  state.lastHist = null;
  const h = location.hash || "#/";
  const m = /^#\/models\/(.+)$/.exec(h);
  try {
    if (m) await viewModel(decodeURIComponent(m[1]));
    else if (h === "#/live") await viewLive();
    else if (h === "#/health") await viewHealth();
    else await viewModels();
  } catch (e) { main.replaceChildren(errorBox(e)); }
  every(5000, pollHealth);
  document.body.dataset.view = m ? "model" : h.slice(2) || "models";
}

window.addEventListener("hashchange", () => { route(); main.focus(); });
function serverName() {
  getJson("v2").then((s) => { document.getElementById("server-name").textContent = s.name + " " + s.version + " · KServe v2"; }).catch(() => {});
}

initTheme();
initKey();
serverName();
route();
