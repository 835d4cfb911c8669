// Small formatting helpers for the dashboard.

export const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

// A job id is a time-ordered UUID (v7): its first 8 hex digits are the same for every job of the
// same minute or so, while its last 8 are random. Show those, with the full id in a tooltip.
export function shortId(id) {
  return id.length > 8 ? `…${id.slice(-8)}` : id;
}

// A job id as a short code: the full id in the tooltip, and copied to the clipboard on double click.
export function idCode(id) {
  const code = el("code", { className: "job-id", title: `${id}\n(double-click to copy)`, dataset: { id } }, shortId(id));
  code.addEventListener("dblclick", (event) => {
    event.stopPropagation();
    copyText(id);
  });
  return code;
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text); // needs a secure context (https or localhost)
  } catch {
    const area = el("textarea", {}, text);
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}

export function time(value) {
  if (!value) return "";
  const date = new Date(value);
  return date.toLocaleTimeString([], { hour12: false }) + "." + String(date.getMilliseconds()).padStart(3, "0");
}

// A date and time to the second, for firings that may be days away.
export function dateTime(value) {
  if (!value) return "";
  const date = new Date(value);
  return `${date.toLocaleDateString([], { month: "short", day: "numeric" })} ${date.toLocaleTimeString([], { hour12: false })}`;
}

export function duration(job, now = Date.now()) {
  if (!job.startedAt) return "";
  const end = job.finishedAt ? Date.parse(job.finishedAt) : now;
  const ms = Math.max(0, end - Date.parse(job.startedAt));
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

export function json(value) {
  return value === null || value === undefined ? "" : JSON.stringify(value, null, 2);
}

// Creates an element with properties and children.
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "className") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}
