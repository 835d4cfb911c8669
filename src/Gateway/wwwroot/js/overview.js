// The overview the dashboard opens on: jobs per state (GET /api/jobs/counts, polled), and live
// charts of the last minutes drawn as plain SVG: attempts started, jobs succeeded and failed per
// second (counted from the live "all jobs" feed), and the depth of each queue (from the polled
// cluster view). Nothing here asks the server anything per job.

const SVG = "http://www.w3.org/2000/svg";
export const WINDOW_SECONDS = 300; // the charts' time span
const STATES = ["awaiting", "scheduled", "queued", "running", "succeeded", "failed", "cancelled"];
const QUEUE_COLOURS = ["#2f6fed", "#1f9d55", "#c98a06", "#8e44ad", "#16a2b8", "#e8590c", "#5c7080", "#d6336c"];
const MAX_QUEUE_LINES = QUEUE_COLOURS.length;

function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

function compact(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  return n.toLocaleString();
}

// A round ceiling for a chart's vertical scale: 1, 2, 5, 10, 20, 50, ...
function niceMax(value) {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

export class Overview {
  constructor(root) {
    this.root = root;
    this.buckets = []; // one per second, oldest first: { second, started, succeeded, failed }
    this.totals = { started: 0, succeeded: 0, failed: 0 };
    this.depths = []; // { at, queues: Map(name -> depth) }
    this.lastState = new Map(); // job id -> { state, attempt }, for what changed
  }

  // ---- counting from the live feed ----------------------------------------------------------

  bucket(now = Date.now()) {
    const second = Math.floor(now / 1000);
    let last = this.buckets[this.buckets.length - 1];
    if (!last || last.second !== second) {
      last = { second, started: 0, succeeded: 0, failed: 0 };
      this.buckets.push(last);
      while (this.buckets.length && this.buckets[0].second <= second - WINDOW_SECONDS) this.buckets.shift();
    }
    return last;
  }

  // Counts what one live view tells: an attempt started (its number went up; the feed may skip
  // 'running' when a job is quick, so the attempt number is what counts), a job succeeded or failed.
  noteJob(job) {
    const previous = this.lastState.get(job.id);
    if (previous && previous.state === job.state && previous.attempt === job.attempt) return;
    const bucket = this.bucket();
    const before = previous?.attempt ?? (job.createdAt && Date.now() - Date.parse(job.createdAt) < 60000 ? 0 : job.attempt);
    const started = Math.max(0, job.attempt - before);
    bucket.started += started;
    this.totals.started += started;
    if (job.state !== previous?.state && (job.state === "succeeded" || job.state === "failed")) {
      bucket[job.state]++;
      this.totals[job.state]++;
    }
    this.lastState.delete(job.id);
    this.lastState.set(job.id, { state: job.state, attempt: job.attempt });
    if (this.lastState.size > 50000) this.lastState.delete(this.lastState.keys().next().value);
  }

  // Per-second rates over the last `seconds` seconds (the current, unfinished second left out).
  rate(series, seconds) {
    const now = Math.floor(Date.now() / 1000);
    let sum = 0;
    for (const b of this.buckets) if (b.second < now && b.second >= now - seconds) sum += b[series];
    return sum / seconds;
  }

  noteQueues(queues) {
    const at = Date.now();
    this.depths.push({ at, queues: new Map(queues.map((q) => [q.name, q.depth])) });
    while (this.depths.length && this.depths[0].at < at - WINDOW_SECONDS * 1000) this.depths.shift();
  }

  // ---- drawing --------------------------------------------------------------------------------

  renderCounts(answer) {
    const capped = new Set(answer.capped ?? []);
    for (const state of STATES) {
      const tile = this.root.querySelector(`.count[data-state="${state}"]`);
      if (!tile) continue;
      const count = answer.counts[state] ?? 0;
      tile.dataset.count = String(count);
      tile.classList.toggle("nonzero", count > 0);
      tile.querySelector("strong").textContent = capped.has(state) ? `${compact(answer.countLimit)}+` : compact(count);
      tile.title = capped.has(state)
        ? `${state}: at least ${answer.countLimit.toLocaleString()} jobs (counting stops there)`
        : `${state}: ${count.toLocaleString()} jobs`;
    }
  }

  draw() {
    this.bucket(); // starts the current second, so the chart moves on when nothing happens
    this.drawRates();
    this.drawDepths();
    const failed = this.rate("failed", 60);
    const ended = failed + this.rate("succeeded", 60);
    const share = ended > 0 ? failed / ended : 0;
    const failure = this.root.querySelector("#failure-rate");
    failure.textContent = ended > 0 ? `${(share * 100).toFixed(share > 0 && share < 0.01 ? 1 : 0)}% failed` : "no job ended";
    failure.classList.toggle("bad", failed > 0);
    failure.title = "jobs failed of jobs ended, last minute";
  }

  // Lines over the window: x from the oldest second (left) to now (right), y from 0 to `max`.
  static frame(chart, max, unit) {
    const width = 600, height = 120;
    chart.setAttribute("viewBox", `0 0 ${width} ${height}`);
    chart.setAttribute("preserveAspectRatio", "none");
    chart.replaceChildren(
      svg("line", { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: "axis" }),
      svg("line", { x1: 0, y1: 0.5, x2: width, y2: 0.5, class: "grid" }));
    const label = chart.parentElement.querySelector(".chart-max");
    if (label) label.textContent = `${compact(max)}${unit}`;
    return { width, height };
  }

  static points(values, max, width, height) {
    const step = width / (WINDOW_SECONDS - 1);
    const offset = WINDOW_SECONDS - values.length;
    return values.map((v, i) => `${((offset + i) * step).toFixed(1)},${(height - (v / max) * (height - 4)).toFixed(1)}`).join(" ");
  }

  drawRates() {
    const chart = this.root.querySelector("#chart-rates");
    const now = Math.floor(Date.now() / 1000);
    const bySecond = new Map(this.buckets.map((b) => [b.second, b]));
    const seconds = Array.from({ length: WINDOW_SECONDS }, (_, i) => bySecond.get(now - WINDOW_SECONDS + 1 + i));
    const series = ["started", "succeeded", "failed"];
    const values = Object.fromEntries(series.map((name) => [name, seconds.map((b) => b?.[name] ?? 0)]));
    const max = niceMax(Math.max(...series.flatMap((name) => values[name])));
    const { width, height } = Overview.frame(chart, max, "/s");
    // Failures stand out: a red area under a thick red line; at zero the other lines cover it.
    const failed = Overview.points(values.failed, max, width, height);
    const first = failed.split(" ")[0].split(",")[0];
    chart.append(svg("polygon", { class: "area failed", points: `${first},${height} ${failed} ${width},${height}` }));
    for (const name of ["failed", "succeeded", "started"]) {
      const line = svg("polyline", { class: `series ${name}`, points: name === "failed" ? failed : Overview.points(values[name], max, width, height) });
      line.dataset.series = name;
      chart.append(line);
    }
    chart.dataset.started = String(this.totals.started);
    chart.dataset.succeeded = String(this.totals.succeeded);
    chart.dataset.failed = String(this.totals.failed);
    const legend = this.root.querySelector("#legend-rates");
    for (const name of series) {
      legend.querySelector(`[data-series="${name}"] .now`).textContent = this.rate(name, 5).toFixed(1);
    }
  }

  drawDepths() {
    const chart = this.root.querySelector("#chart-depth");
    const latest = this.depths[this.depths.length - 1];
    // The deepest queues now, then any that were deep earlier in the window.
    const peak = new Map();
    for (const sample of this.depths) for (const [name, depth] of sample.queues) peak.set(name, Math.max(peak.get(name) ?? 0, depth));
    const names = [...peak.keys()]
      .sort((a, b) => (latest?.queues.get(b) ?? 0) - (latest?.queues.get(a) ?? 0) || peak.get(b) - peak.get(a) || a.localeCompare(b))
      .slice(0, MAX_QUEUE_LINES);
    const max = niceMax(Math.max(0, ...names.map((n) => peak.get(n))));
    const { width, height } = Overview.frame(chart, max, "");
    const start = Date.now() - WINDOW_SECONDS * 1000;
    const x = (at) => (((at - start) / (WINDOW_SECONDS * 1000)) * width).toFixed(1);
    const y = (depth) => (height - (depth / max) * (height - 4)).toFixed(1);
    names.forEach((name, i) => {
      const points = this.depths.map((s) => `${x(s.at)},${y(s.queues.get(name) ?? 0)}`).join(" ");
      const line = svg("polyline", { class: "series queue", points, stroke: QUEUE_COLOURS[i] });
      line.dataset.queue = name;
      chart.append(line);
    });
    chart.dataset.queues = names.join(",");
    const legend = this.root.querySelector("#legend-depth");
    legend.replaceChildren(...names.map((name, i) => {
      const item = document.createElement("span");
      item.className = "legend-item";
      item.dataset.queue = name;
      const swatch = document.createElement("i");
      swatch.className = "swatch";
      swatch.style.background = QUEUE_COLOURS[i]; // CSSOM, not an attribute: the CSP allows no inline styles
      const now = document.createElement("b");
      now.className = "now";
      now.textContent = compact(latest?.queues.get(name) ?? 0);
      item.append(swatch, ` ${name} `, now);
      return item;
    }));
    if (!names.length) legend.textContent = "no queue has waited yet";
  }
}
