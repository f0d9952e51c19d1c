// The clerk's (and judge's) exports: the composite video, the original tracks and the signed
// bundle, each built on the server with progress (export_progress events, polling as a
// fallback), then downloaded. Earlier exports of the hearing are listed with their hashes.
import { api, describeError } from "/static/js/api.js";
import { t } from "/static/js/i18n.js";
import { SERVER_EVENT, STAFF_ROLES } from "/static/js/protocol.js";

const KINDS = ["video", "tracks", "bundle"];
const POLL_MS = 2000;
const panel = { hearingId: null, root: null, exports: new Map(), kinds: [], timer: null };

function formatSize(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function row(job) {
  const item = document.createElement("li");
  item.dataset.export = job.id;
  item.dataset.state = job.state;
  const title = document.createElement("span");
  title.textContent = `${t(`exports.kind.${job.kind}`)} · ${t(`exports.state.${job.state}`)}`;
  item.append(title);
  if (job.state === "running") {
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = job.progress;
    bar.setAttribute("aria-label", `${t(`exports.kind.${job.kind}`)}: ${Math.round(job.progress * 100)}%`);
    const percent = document.createElement("span");
    percent.textContent = `${Math.round(job.progress * 100)}%`;
    item.append(bar, percent);
  } else if (job.state === "done") {
    const link = document.createElement("a");
    link.className = "button";
    link.href = `/api/hearings/${panel.hearingId}/exports/${job.id}/file`;
    link.download = job.filename;
    link.dataset.download = job.kind;
    link.textContent = t("exports.download", { size: formatSize(job.size) });
    link.setAttribute("aria-label", `${t("exports.download", { size: formatSize(job.size) })}: ${job.filename}`);
    const hash = document.createElement("code");
    hash.className = "hash";
    hash.textContent = `SHA-256 ${job.sha256}`;
    item.append(link, hash);
  } else if (job.error) {
    const why = document.createElement("span");
    why.textContent = job.error;
    item.append(why);
  }
  return item;
}

export function renderExports() {
  if (!panel.root) return;
  const buttons = panel.root.querySelector("#export-buttons");
  buttons.replaceChildren(
    ...panel.kinds.map((kind) => {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.exportKind = kind;
      button.textContent = t(`exports.start.${kind}`);
      button.disabled = [...panel.exports.values()].some((j) => j.kind === kind && j.state === "running");
      button.addEventListener("click", () => start(kind));
      return button;
    }),
  );
  const list = panel.root.querySelector("#export-list");
  const jobs = [...panel.exports.values()].reverse();
  if (!jobs.length) {
    const empty = document.createElement("li");
    empty.textContent = t("exports.none");
    list.replaceChildren(empty);
  } else {
    list.replaceChildren(...jobs.map(row));
  }
}

function update(job) {
  panel.exports.set(job.id, job);
  renderExports();
}

async function refresh() {
  const reply = await api("GET", `/api/hearings/${panel.hearingId}/exports`);
  for (const job of reply.exports) panel.exports.set(job.id, job);
  renderExports();
  return reply.exports.some((job) => job.state === "running");
}

// Socket events carry progress; polling covers a console that lost its socket for a while.
function keepPolling() {
  clearTimeout(panel.timer);
  panel.timer = setTimeout(async () => {
    try {
      if (await refresh()) keepPolling();
    } catch {
      keepPolling();
    }
  }, POLL_MS);
}

async function start(kind) {
  const status = panel.root.querySelector("#export-status");
  status.textContent = "";
  try {
    const language = document.documentElement.lang === "en" ? "en" : "zh-CN";
    update(await api("POST", `/api/hearings/${panel.hearingId}/exports`, { kind, language }));
    keepPolling();
  } catch (error) {
    status.textContent = t("error.generic", { message: describeError(error) });
  }
}

export async function mountExports({ hearingId, courtroom, role, root }) {
  if (!STAFF_ROLES.includes(role)) return;
  Object.assign(panel, { hearingId, root });
  const reply = await api("GET", `/api/hearings/${hearingId}/exports`);
  const offered = reply.kinds || KINDS;
  panel.kinds = KINDS.filter((kind) => offered.includes(kind));
  for (const job of reply.exports) panel.exports.set(job.id, job);
  root.hidden = false;
  courtroom.socket?.on(SERVER_EVENT.EXPORT_PROGRESS, update);
  renderExports();
  if (reply.exports.some((job) => job.state === "running")) keepPolling();
}
