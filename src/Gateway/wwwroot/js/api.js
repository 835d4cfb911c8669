// REST calls with the API key; errors carry the ProblemDetails the gateway answers with.

const KEY_STORAGE = "jobgrains.apiKey";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export const apiKey = {
  get: () => sessionStorage.getItem(KEY_STORAGE),
  set: (key) => sessionStorage.setItem(KEY_STORAGE, key),
  clear: () => sessionStorage.removeItem(KEY_STORAGE),

  // A key in the URL fragment (#key=...) never reaches the server; take it and remove it from the address bar.
  takeFromFragment() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    const key = params.get("key");
    if (key) {
      this.set(key);
      history.replaceState(null, "", location.pathname + location.search);
    }
  },
};

async function call(method, path, body, extraHeaders) {
  const headers = { "X-Api-Key": apiKey.get() ?? "", ...extraHeaders };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const api = {
  listJobs(filters, after) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
    if (after) query.set("after", after);
    return call("GET", `/api/jobs?${query}`);
  },
  getJob: (id) => call("GET", `/api/jobs/${encodeURIComponent(id)}`),
  getAttempts: (id) => call("GET", `/api/jobs/${encodeURIComponent(id)}/attempts`),
  submitJob: (job) => call("POST", "/api/jobs", job),
  cancelJob: (id) => call("POST", `/api/jobs/${encodeURIComponent(id)}/cancel`),
  retryJob: (id) => call("POST", `/api/jobs/${encodeURIComponent(id)}/retry`),
  // A bulk action on every job the filter matches; the key makes a repeated click start it once.
  bulk: (request, idempotencyKey) => call("POST", "/api/jobs/bulk", request, idempotencyKey ? { "Idempotency-Key": idempotencyKey } : undefined),
  getBulk: (id) => call("GET", `/api/jobs/bulk/${encodeURIComponent(id)}`),
  getBatch: (id) => call("GET", `/api/batches/${encodeURIComponent(id)}`),
  cluster: () => call("GET", "/api/cluster"),
  jobCounts: () => call("GET", "/api/jobs/counts"),
  schedules: () => call("GET", "/api/schedules"),
  pauseSchedule: (name) => call("POST", `/api/schedules/${encodeURIComponent(name)}/pause`),
  resumeSchedule: (name) => call("POST", `/api/schedules/${encodeURIComponent(name)}/resume`),
  queues: () => call("GET", "/api/queues"),
  pauseQueue: (name) => call("POST", `/api/queues/${encodeURIComponent(name)}/pause`),
  resumeQueue: (name) => call("POST", `/api/queues/${encodeURIComponent(name)}/resume`),
  changeQueue: (name, limits) => call("PUT", `/api/queues/${encodeURIComponent(name)}`, limits),
  drainSilo: (silo) => call("POST", `/api/cluster/silos/${encodeURIComponent(silo)}/drain`),
};
