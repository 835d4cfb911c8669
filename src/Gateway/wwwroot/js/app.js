// The JobGrains dashboard: a server-side paged job list kept live by SignalR (filtered by state,
// type, queue and instruction containment), a job's detail with cancel and retry, bulk retry and
// cancel of everything the filters match, the silos, queues and schedules (the only things
// polled), and throughput.

import { api, apiKey, ApiError } from "./api.js";
import { LiveJobs } from "./live.js";
import { Overview } from "./overview.js";
import { TERMINAL, shortId, idCode, copyText, time, dateTime, duration, json, el } from "./format.js";

const $ = (id) => document.getElementById(id);
const CLUSTER_POLL_MS = 2000;
const RATE_WINDOW_MS = 5000;

const state = {
  filters: { state: "", type: "", queue: "", instruction: "", limit: "50" },
  instructionFilter: null, // the parsed JSON object of filters.instruction
  cursors: [null], // the 'after' cursor of each page visited
  page: 0,
  next: null,
  rows: new Map(), // id -> { job, tr }
  detail: null, // the job shown in detail
  pending: new Map(), // views waiting for the next animation frame
  frameRequested: false,
  lastState: new Map(), // id -> last state seen, for throughput
  recent: new Map(), // id -> latest live view, newest last (bounded), for lists read before it came
  finished: [],
  started: [],
  running: false,
  siloNames: new Map(), // silo address -> name, from the cluster view
};

let live;
const overview = new Overview(document.getElementById("overview"));

function toast(message) {
  const box = $("toast");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), 4000);
}

// Sets key to value as the newest entry of a map kept to at most `cap` entries (the oldest go first).
function remember(map, key, value, cap) {
  map.delete(key);
  map.set(key, value);
  if (map.size > cap) map.delete(map.keys().next().value);
}

function isNewer(incoming, current) {
  return !current || Date.parse(incoming.updatedAt) >= Date.parse(current.updatedAt);
}

// PostgreSQL's jsonb containment (@>), which the server's instruction filter applies.
function contains(haystack, needle) {
  if (Array.isArray(needle)) return Array.isArray(haystack) && needle.every((n) => haystack.some((h) => contains(h, n)));
  if (needle !== null && typeof needle === "object") {
    return haystack !== null && typeof haystack === "object" && !Array.isArray(haystack)
      && Object.entries(needle).every(([key, value]) => Object.hasOwn(haystack, key) && contains(haystack[key], value));
  }
  return haystack === needle;
}

function matchesFilters(job) {
  const f = state.filters;
  return (!f.state || job.state === f.state) && (!f.type || job.type === f.type) && (!f.queue || job.queue === f.queue)
    && (!state.instructionFilter || contains(job.instruction, state.instructionFilter));
}

// ---- job list -------------------------------------------------------------------------------

function progressCell(job) {
  const percent = job.state === "succeeded" ? 100 : Math.max(0, Math.min(100, job.progress?.percent ?? 0));
  const fill = el("span");
  fill.style.width = `${percent}%`; // through CSSOM: the page's CSP allows no inline style attributes
  const bar = el("span", { className: "progress", title: `${percent.toFixed(0)}%` }, fill);
  const text = el("span", { className: "progress-text" }, job.progress?.message ?? (job.progress ? `${percent.toFixed(0)}%` : ""));
  return el("td", {}, bar, text);
}

function renderRow(job) {
  const tr = el("tr", { dataset: { jobId: job.id, state: job.state }, onclick: () => openJob(job.id) },
    el("td", {}, idCode(job.id)),
    el("td", {}, job.type),
    el("td", {}, job.queue),
    el("td", {}, el("span", { className: `state ${job.state}`, title: job.waitingFor ? `waiting for ${job.waitingFor}` : "" },
      job.state, job.waitingFor ? " ⏸" : "")),
    progressCell(job),
    el("td", {}, `${job.attempt} / ${job.maxAttempts}`),
    el("td", { className: "silo", title: job.silo ?? "" }, siloName(job.silo)),
    el("td", { title: job.createdAt }, time(job.createdAt)),
    el("td", { className: "duration" }, duration(job)));
  if (state.detail?.id === job.id) tr.classList.add("selected");
  return tr;
}

// A silo as the Silos panel names it (JobGrains:Silo:Name); a job's row and attempts carry its
// address, so the cluster view's address -> name map translates it.
function siloName(address) {
  if (!address) return "";
  return state.siloNames.get(address) ?? address.split("@")[0];
}

function renderList(items) {
  const body = $("jobs").tBodies[0];
  state.rows.clear();
  body.replaceChildren(...items.map((read) => {
    // A read answers as of when it ran: a live view that came meanwhile is newer, and no later
    // update may come (a job that finished stays as the read saw it).
    const seen = state.recent.get(read.id);
    const job = seen && isNewer(seen, read) ? seen : read;
    const tr = renderRow(job);
    state.rows.set(job.id, { job, tr });
    return tr;
  }));
  $("jobs-empty").hidden = items.length > 0;
  $("page-number").textContent = `page ${state.page + 1}`;
  $("page-newer").disabled = state.page === 0;
  $("page-older").disabled = !state.next;
}

// Reads answer out of order: only the latest read's answer is shown (an older one, such as the first
// load's, arriving after a filter's, would show the old filters' rows under the new ones).
let pageReads = 0;

async function loadPage() {
  const read = ++pageReads;
  try {
    const page = await api.listJobs(state.filters, state.cursors[state.page]);
    if (read !== pageReads) return;
    state.next = page.next;
    renderList(page.items);
  } catch (error) {
    handleError(error, "Could not list jobs");
  }
}

// Puts a live view into the current page: updates its row, or inserts a new job on the first page.
function applyToList(job) {
  const row = state.rows.get(job.id);
  const body = $("jobs").tBodies[0];
  if (row) {
    if (!isNewer(job, row.job)) return;
    // The row itself stays, only its cells change: a click pressed on it before an update and
    // released after still lands on it (replaced whole, a busy job's row lost clicks).
    const fresh = renderRow(job);
    row.tr.replaceChildren(...fresh.childNodes);
    row.tr.dataset.state = job.state;
    row.tr.classList.toggle("selected", fresh.classList.contains("selected"));
    state.rows.set(job.id, { job, tr: row.tr });
    return;
  }

  if (state.page !== 0 || !matchesFilters(job)) return;
  const limit = Number(state.filters.limit);
  const created = Date.parse(job.createdAt);
  // Newest first, in the order shown (not the order rows were added).
  const before = [...body.rows].find((tr) => Date.parse(state.rows.get(tr.dataset.jobId)?.job.createdAt) < created);
  if (!before && state.rows.size >= limit) return; // older than the whole full page
  const tr = renderRow(job);
  if (before) body.insertBefore(tr, before);
  else body.append(tr);
  state.rows.set(job.id, { job, tr });
  $("jobs-empty").hidden = true;
  while (state.rows.size > limit) {
    const last = body.lastElementChild;
    state.rows.delete(last.dataset.jobId);
    last.remove();
    state.next ??= "more"; // there is an older page now; the real cursor comes with the next load
  }
}

// ---- live updates ---------------------------------------------------------------------------

function countThroughput(job) {
  const previous = state.lastState.get(job.id);
  const now = Date.now();
  if (job.state !== previous) {
    if (TERMINAL.has(job.state) && !TERMINAL.has(previous)) state.finished.push(now);
    if (job.state === "running") state.started.push(now);
    remember(state.lastState, job.id, job.state, 50000);
  }
}

function onJob(job) {
  countThroughput(job);
  overview.noteJob(job);
  const pending = state.pending.get(job.id);
  if (isNewer(job, pending)) state.pending.set(job.id, job);
  if (!state.frameRequested) {
    state.frameRequested = true;
    requestAnimationFrame(flush);
  }
}

// Applies the views of one frame at once, so that bursts of updates cost one layout.
function flush() {
  state.frameRequested = false;
  const views = [...state.pending.values()];
  state.pending.clear();
  for (const job of views) {
    if (isNewer(job, state.recent.get(job.id))) remember(state.recent, job.id, job, 10000);
    applyToList(job);
    if (state.detail?.id === job.id && isNewer(job, state.detail)) renderDetail(job);
  }
}

function setLiveStatus(kind, text) {
  const dot = $("live-status");
  dot.className = `dot ${kind === "on" ? "" : kind}`.trim();
  dot.dataset.state = kind;
  dot.title = text;
}

function updateRates() {
  overview.draw();
  const cutoff = Date.now() - RATE_WINDOW_MS;
  for (const list of [state.finished, state.started]) while (list.length && list[0] < cutoff) list.shift();
  $("stat-finished").textContent = (state.finished.length / (RATE_WINDOW_MS / 1000)).toFixed(1);
  $("stat-started").textContent = (state.started.length / (RATE_WINDOW_MS / 1000)).toFixed(1);
  for (const { job, tr } of state.rows.values()) {
    if (job.state === "running") tr.querySelector(".duration").textContent = duration(job);
  }
}

// ---- detail ---------------------------------------------------------------------------------

function renderDetail(job) {
  state.detail = job;
  $("detail").hidden = false;
  $("detail-id").textContent = job.id;
  $("detail-link").href = jobLink(job.id);
  const fields = [
    ["State", el("span", { className: `state ${job.state}`, id: "detail-state" }, job.state)],
    ["Type", job.type], ["Queue", job.queue], ["Priority", String(job.priority)],
    ["Attempt", `${job.attempt} of ${job.maxAttempts}`],
    ["Progress", job.progress ? `${job.progress.percent.toFixed(0)}% ${job.progress.message ?? ""}` : ""],
    ["Silo", el("span", { title: job.silo ?? "" }, siloName(job.silo))], ["Created", job.createdAt], ["Started", job.startedAt ?? ""],
    ["Finished", job.finishedAt ?? ""], ["Run at", job.runAt ?? ""], ["Updated", job.updatedAt],
    ["Requires", (job.requires ?? []).join(", ")], ["Waiting for", job.waitingFor ?? ""],
    ["Batch", job.batchId ? el("span", { id: "detail-batch" }, job.batchId) : ""],
    ["Depends on", el("span", {}, ...(job.dependsOn ?? []).flatMap((id) =>
      [el("a", { href: jobLink(id), title: id }, shortId(id)), " "]))],
  ];
  $("detail-fields").replaceChildren(...fields.flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
  $("detail-instruction").textContent = json(job.instruction);
  $("detail-result").textContent = json(job.result);
  $("detail-error").textContent = job.error ? `${job.error.kind}: ${job.error.message}` : "";
  $("detail-cancel").disabled = TERMINAL.has(job.state);
  $("detail-retry").disabled = !(job.state === "failed" || job.state === "cancelled");
  for (const { job: rowJob, tr } of state.rows.values()) tr.classList.toggle("selected", rowJob.id === job.id);
  refreshAttempts(job);
  refreshBatch(job);
}

// The batch's roll-up beside a job of it: read again when the job's state changes.
async function refreshBatch(job) {
  if (!job.batchId) return;
  const key = `${job.id}/${job.state}`;
  if (state.batchKey === key) return;
  state.batchKey = key;
  try {
    const batch = await api.getBatch(job.batchId);
    if (state.batchKey !== key || !$("detail-batch")) return;
    const c = batch.counts;
    $("detail-batch").textContent = `${batch.name ?? batch.id} — ${batch.state}, ${batch.progress.toFixed(0)}% ` +
      `(${c.succeeded} succeeded, ${c.failed} failed, ${c.cancelled} cancelled of ${batch.total})`;
  } catch (error) {
    handleError(error, "Could not read the batch");
  }
}

// The history changes only when an attempt starts or ends: read it again then, not on progress.
async function refreshAttempts(job) {
  const key = `${job.id}/${job.attempt}/${job.state}`;
  if (state.attemptsKey === key) return;
  state.attemptsKey = key;
  try {
    const { items } = await api.getAttempts(job.id);
    if (state.attemptsKey !== key) return;
    $("detail-attempts").replaceChildren(...items.map((a) => el("li", {},
      `#${a.attempt} ${a.outcome} on ${a.silo ? siloName(a.silo) : "?"} from ${a.startedAt} to ${a.finishedAt ?? "…"}` +
      (a.error ? ` (${a.error.kind}: ${a.error.message})` : ""))));
  } catch (error) {
    handleError(error, "Could not read the attempts");
  }
}

// A job's detail has its own address, #/jobs/<id>, that can be linked and bookmarked.
const JOB_ROUTE = /^#\/jobs\/([0-9a-fA-F-]{36})$/;

function jobLink(id) {
  return `#/jobs/${id}`;
}

function openJob(id) {
  if (location.hash === jobLink(id)) showDetail(id);
  else location.hash = jobLink(id); // hashchange opens it
}

// Opens what the address names: a job's detail, or none.
function route() {
  const match = JOB_ROUTE.exec(location.hash);
  if (match) showDetail(match[1].toLowerCase());
  else if (state.detail && !location.hash) closeDetail();
}

async function showDetail(id) {
  try {
    renderDetail(await api.getJob(id));
    revealDetail();
    await live.watch(id);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return toast(`No job ${id}.`);
    handleError(error, "Could not open the job");
  }
}

// The detail beside a long list, or above it on a narrow screen, may be out of view: bring it in.
function revealDetail() {
  const box = $("detail").getBoundingClientRect();
  const header = document.querySelector(".bar").getBoundingClientRect().bottom; // the sticky bar covers the top
  if (box.top < header || box.top > window.innerHeight - 80) $("detail").scrollIntoView({ block: "start", behavior: "instant" });
}

async function closeDetail() {
  if (JOB_ROUTE.test(location.hash)) history.pushState(null, "", location.pathname + location.search);
  $("detail").hidden = true;
  state.detail = null;
  state.attemptsKey = null;
  for (const { tr } of state.rows.values()) tr.classList.remove("selected");
  await live.watch(null).catch(() => {});
}

async function command(action, done, failed) {
  const job = state.detail;
  if (!job) return;
  try {
    const view = await action(job.id);
    if (view && isNewer(view, state.detail)) renderDetail(view);
    toast(`Job ${shortId(job.id)}: ${done}.`);
  } catch (error) {
    handleError(error, failed);
  }
}

// ---- cluster --------------------------------------------------------------------------------

function renderCluster(cluster) {
  const names = cluster.silos.map((silo) => `${silo.address}=${silo.name}`).join(",");
  state.siloNames = new Map(cluster.silos.map((silo) => [silo.address, silo.name]));
  if (names !== state.siloNamesKey) {
    state.siloNamesKey = names;
    for (const { job, tr } of state.rows.values()) tr.querySelector(".silo").textContent = siloName(job.silo);
    if (state.detail) renderDetail(state.detail);
  }
  $("silos").tBodies[0].replaceChildren(...cluster.silos.map((silo) => {
    const status = silo.draining ? "draining" : silo.status;
    // A cloud's interruption notice: what announced it, when the machine goes, and how far the drain is.
    const notice = silo.notice
      ? el("span", { className: "notice", title: `${silo.notice.kind}: the machine is taken at ${silo.notice.deadline}` },
        ` ${silo.notice.kind}, ${silo.notice.drain}, leaves by ${new Date(silo.notice.deadline).toLocaleTimeString()}`)
      : null;
    const atRisk = silo.atRisk ? el("span", { className: "notice", title: "rebalance recommendation: no stable types, new work only when other silos are full" }, " at risk") : null;
    const drain = silo.status === "active" && !silo.draining
      ? el("button", { type: "button", className: "link", onclick: () => drain(silo) }, "drain")
      : null;
    return el("tr", { dataset: { silo: silo.name } },
      el("td", { title: silo.address }, silo.name, silo.spot ? el("span", { className: "muted" }, " (spot)") : null),
      el("td", {}, status, notice, atRisk),
      el("td", {}, `${silo.running} / ${silo.slots}`),
      el("td", { className: "abilities" }, (silo.types ?? []).join(", "),
        (silo.tags ?? []).length ? el("span", { className: "muted" }, ` [${silo.tags.join(", ")}]`) : null),
      el("td", {}, drain));
  }));
  $("stat-running").textContent = cluster.silos.reduce((sum, s) => sum + s.running, 0);
  $("stat-waiting").textContent = cluster.queues.reduce((sum, q) => sum + q.depth, 0);
}

// ---- queues: pause toggle and editable limits ---------------------------------------------------

function describeLimits(queue) {
  const parts = [];
  if (queue.concurrencyLimit) parts.push(`${queue.concurrencyLimit} at once`);
  if (queue.rateLimit) parts.push(`${queue.rateLimit.count} per ${queue.rateLimit.periodSeconds} s`);
  if (queue.keyConcurrency !== 1) parts.push(`${queue.keyConcurrency} per key`);
  return parts.length ? parts.join(", ") : "none";
}

function renderQueues({ items }) {
  $("queues").tBodies[0].replaceChildren(...items.map((queue) => {
    const toggle = el("button", { type: "button", className: "link", onclick: () => toggleQueue(queue) }, queue.paused ? "resume" : "pause");
    const limits = el("button", { type: "button", className: "link", title: "edit the limits", onclick: () => editLimits(queue) }, describeLimits(queue));
    return el("tr", { dataset: { queue: queue.name, paused: String(queue.paused) } },
      el("td", {}, queue.name, queue.paused ? el("span", { className: "state cancelled" }, "paused") : null),
      el("td", {}, String(queue.waiting)),
      el("td", {}, queue.concurrencyLimit ? `${queue.running} / ${queue.concurrencyLimit}` : String(queue.running)),
      el("td", {}, limits),
      el("td", {}, toggle));
  }));
}

async function toggleQueue(queue) {
  try {
    await (queue.paused ? api.resumeQueue(queue.name) : api.pauseQueue(queue.name));
    renderQueues(await api.queues());
  } catch (error) {
    handleError(error, `Could not ${queue.paused ? "resume" : "pause"} the queue`);
  }
}

// Empty removes a limit; a rate is "count/seconds", e.g. "20/1".
async function editLimits(queue) {
  const concurrency = prompt(`Queue ${queue.name}: most attempts at once (empty: no limit)`, queue.concurrencyLimit ?? "");
  if (concurrency === null) return;
  const rate = prompt(`Queue ${queue.name}: most starts per period, as count/seconds (empty: no limit)`,
    queue.rateLimit ? `${queue.rateLimit.count}/${queue.rateLimit.periodSeconds}` : "");
  if (rate === null) return;
  const perKey = prompt(`Queue ${queue.name}: most attempts at once per concurrency key`, queue.keyConcurrency);
  if (perKey === null) return;
  const [count, periodSeconds] = rate.split("/").map((part) => Number(part.trim()));
  try {
    await api.changeQueue(queue.name, {
      concurrencyLimit: concurrency.trim() ? Number(concurrency) : null,
      rateLimit: rate.trim() ? { count, periodSeconds: periodSeconds || 1 } : null,
      keyConcurrency: perKey.trim() ? Number(perKey) : null,
    });
    renderQueues(await api.queues());
  } catch (error) {
    handleError(error, "Could not change the limits");
  }
}

async function pollCluster() {
  try {
    // The counts come from the table: when PostgreSQL is slow or down, the rest still shows.
    const counts = api.jobCounts().catch(() => null);
    const [queues, cluster] = await Promise.all([api.queues(), api.cluster()]);
    renderQueues(queues);
    renderCluster(cluster);
    overview.noteQueues(cluster.queues);
    const answer = await counts;
    if (answer) overview.renderCounts(answer);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return askKey("The key was refused.");
  }
  setTimeout(pollCluster, CLUSTER_POLL_MS);
}

// ---- schedules -------------------------------------------------------------------------------

function renderSchedules({ items }) {
  $("schedules").tBodies[0].replaceChildren(...items.map((schedule) => {
    const toggle = el("button", { type: "button", className: "link", onclick: () => toggleSchedule(schedule) }, schedule.paused ? "resume" : "pause");
    const lastJob = schedule.lastJobId
      ? el("a", { href: jobLink(schedule.lastJobId), title: schedule.lastJobId }, shortId(schedule.lastJobId))
      : "";
    return el("tr", { dataset: { schedule: schedule.name, paused: String(schedule.paused), nextFireAt: schedule.nextFireAt ?? "", lastFireAt: schedule.lastFireAt ?? "" } },
      el("td", {}, schedule.name),
      el("td", { title: `misfire: ${schedule.misfire}` }, el("code", {}, schedule.cron), el("span", { className: "muted" }, ` ${schedule.timeZone}`)),
      el("td", {}, `${schedule.job.type} → ${schedule.job.queue}`),
      el("td", { className: "next", title: schedule.nextFireAt ?? "" }, schedule.nextFireAt ? dateTime(schedule.nextFireAt) : "—"),
      el("td", { className: "last", title: schedule.lastFireAt ?? "" }, schedule.lastFireAt ? dateTime(schedule.lastFireAt) : "never"),
      el("td", {}, lastJob),
      el("td", {}, el("span", { className: `state ${schedule.paused ? "cancelled" : "running"}` }, schedule.paused ? "paused" : "active")),
      el("td", {}, toggle));
  }));
  $("schedules-empty").hidden = items.length > 0;
}

async function pollSchedules() {
  try {
    renderSchedules(await api.schedules());
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return askKey("The key was refused.");
  }
  setTimeout(pollSchedules, CLUSTER_POLL_MS);
}

async function toggleSchedule(schedule) {
  try {
    await (schedule.paused ? api.resumeSchedule(schedule.name) : api.pauseSchedule(schedule.name));
    renderSchedules(await api.schedules());
  } catch (error) {
    handleError(error, `Could not ${schedule.paused ? "resume" : "pause"} the schedule`);
  }
}

async function drain(silo) {
  if (!confirm(`Drain ${silo.name}? It takes no new work and leaves the cluster.`)) return;
  try {
    await api.drainSilo(silo.name);
    toast(`${silo.name} is draining.`);
  } catch (error) {
    handleError(error, "Could not drain the silo");
  }
}

// ---- bulk actions ---------------------------------------------------------------------------

// The filters of the list, as a bulk action's filter.
function bulkFilter() {
  const f = state.filters;
  const filter = {};
  if (f.state) filter.state = f.state;
  if (f.type) filter.type = f.type;
  if (f.queue) filter.queue = f.queue;
  if (state.instructionFilter) filter.instruction = state.instructionFilter;
  return filter;
}

function describeFilter(filter) {
  const parts = Object.entries(filter).map(([name, value]) => `${name} ${typeof value === "object" ? JSON.stringify(value) : value}`);
  return parts.length ? parts.join(", ") : "no filter (every job)";
}

// Resolves true when the user confirms in the bulk dialog.
function confirmBulk(title, message) {
  return new Promise((resolve) => {
    const dialog = $("bulk-dialog");
    $("bulk-title").textContent = title;
    $("bulk-message").textContent = message;
    dialog.returnValue = "";
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
    dialog.showModal();
  });
}

// Counts first (a dry run), asks, then starts the operation and follows it to its end.
async function bulk(action) {
  const filter = bulkFilter();
  const verb = action === "retry" ? "Retry" : "Cancel";
  const which = action === "retry" ? "failed or cancelled" : "unfinished";
  try {
    const { matched } = await api.bulk({ action, filter, dryRun: true });
    if (matched === 0) return toast(`No ${which} job matches ${describeFilter(filter)}.`);
    const plural = matched === 1 ? "" : "s";
    if (!await confirmBulk(`${verb} all matching`, `${verb} ${matched} ${which} job${plural} matching ${describeFilter(filter)}?`)) return;
    const key = crypto.randomUUID?.() ?? `${Date.now()}-${Math.random()}`; // randomUUID needs a secure context
    let operation = await api.bulk({ action, filter }, key);
    toast(`${verb} of ${operation.matched} job${plural} started.`);
    while (operation.state === "running") {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      operation = await api.getBulk(operation.id);
    }
    toast(`${verb}: ${operation.done} of ${operation.matched} job${plural} done.`);
    loadPage();
  } catch (error) {
    handleError(error, `Could not ${action} the matching jobs`);
  }
}

// ---- key, errors, start-up ------------------------------------------------------------------

function handleError(error, what) {
  if (error instanceof ApiError && error.status === 401) return askKey("The key was refused.");
  if (error instanceof ApiError && error.status === 403) return toast(`${what}: this key is read-only.`);
  toast(`${what}: ${error.message}`);
}

function askKey(message) {
  $("key-error").hidden = !message;
  $("key-error").textContent = message ?? "";
  if (!$("key-dialog").open) $("key-dialog").showModal();
  $("key-input").focus();
}

async function start() {
  if (state.running) return;
  try {
    await api.cluster();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return askKey("The key was refused.");
  }
  state.running = true;
  live = new LiveJobs({
    getKey: () => apiKey.get(),
    onJob,
    onStatus: setLiveStatus,
    onResync: loadPage,
    onUnauthorized: () => askKey("The key was refused."),
  });
  live.start().catch(() => {});
  window.addEventListener("hashchange", route);
  route();
  await loadPage();
  pollCluster();
  pollSchedules();
  overview.draw();
  setInterval(updateRates, 1000);
}

function wireUp() {
  $("key-form").addEventListener("submit", () => {
    apiKey.set($("key-input").value.trim());
    $("key-input").value = "";
    if (state.running) location.reload();
    else start();
  });
  $("sign-out").addEventListener("click", () => {
    apiKey.clear();
    location.reload();
  });
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    const instruction = $("filter-instruction").value.trim();
    let instructionFilter = null;
    if (instruction) {
      try {
        instructionFilter = JSON.parse(instruction);
      } catch {
        instructionFilter = undefined;
      }
      if (instructionFilter === null || typeof instructionFilter !== "object" || Array.isArray(instructionFilter)) {
        return toast('"Instruction contains" takes a JSON object, for example {"customer": "42"}.');
      }
    }
    state.filters = {
      state: $("filter-state").value,
      type: $("filter-type").value.trim(),
      queue: $("filter-queue").value.trim(),
      instruction,
      limit: $("filter-limit").value,
    };
    state.instructionFilter = instructionFilter;
    state.cursors = [null];
    state.page = 0;
    loadPage();
  });
  $("page-older").addEventListener("click", async () => {
    if (!state.next || state.next === "more") {
      await loadPage(); // refresh the cursor after live insertions
      if (!state.next) return;
    }
    state.cursors[state.page + 1] = state.next;
    state.page++;
    loadPage();
  });
  $("page-newer").addEventListener("click", () => {
    if (state.page === 0) return;
    state.page--;
    loadPage();
  });
  // A state's count lists its jobs.
  for (const tile of document.querySelectorAll("#counts .count")) {
    tile.addEventListener("click", () => {
      $("filter-state").value = tile.dataset.state;
      $("filters").requestSubmit();
      document.querySelector(".jobs").scrollIntoView({ block: "start" });
    });
  }
  $("bulk-retry").addEventListener("click", () => bulk("retry"));
  $("bulk-cancel").addEventListener("click", () => bulk("cancel"));
  $("detail-close").addEventListener("click", closeDetail);
  $("detail-copy").addEventListener("click", async () => {
    if (!state.detail) return;
    await copyText(state.detail.id);
    toast("Job id copied.");
  });
  $("detail-cancel").addEventListener("click", () => command(api.cancelJob, "cancelled", "Could not cancel the job"));
  $("detail-retry").addEventListener("click", () => command(api.retryJob, "retried", "Could not retry the job"));
  $("submit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    let instruction;
    try {
      instruction = JSON.parse($("submit-instruction").value);
    } catch {
      return toast("The instruction is not valid JSON.");
    }
    try {
      const job = await api.submitJob({ type: $("submit-type").value.trim(), queue: $("submit-queue").value.trim() || undefined, instruction });
      toast(`Submitted job ${shortId(job.id)}.`);
    } catch (error) {
      handleError(error, "Could not submit");
    }
  });
}

wireUp();
apiKey.takeFromFragment();
if (apiKey.get()) start();
else askKey();
