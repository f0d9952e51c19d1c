// The device check's connection test: round trip, download and upload to this server, then a
// verdict the party can act on. Figures: a 640x360 15 fps call sends about 0.6 Mbit/s and
// receives that from each other participant.
import { t } from "/static/js/i18n.js";

const LIMITS = { rttMs: 300, downMbps: 1.5, upMbps: 0.8 };
const DOWN_BYTES = 512 * 1024;
const UP_BYTES = 256 * 1024;
const TIMEOUT_MS = 15000;

async function timed(path, options = {}) {
  const started = performance.now();
  const response = await fetch(path, {
    credentials: "same-origin",
    cache: "no-store",
    signal: AbortSignal.timeout(TIMEOUT_MS),
    ...options,
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  await response.arrayBuffer();
  return performance.now() - started;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function measureConnection() {
  const trips = [];
  for (let i = 0; i < 5; i += 1) trips.push(await timed("/api/probe?bytes=0"));
  const rttMs = median(trips);
  const downMs = Math.max(1, (await timed(`/api/probe?bytes=${DOWN_BYTES}`)) - rttMs);
  const body = new Uint8Array(UP_BYTES);
  crypto.getRandomValues(body.subarray(0, 65536));
  const upMs = Math.max(
    1,
    (await timed("/api/probe", {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream" },
      body,
    })) - rttMs,
  );
  return {
    rttMs: Math.round(rttMs),
    downMbps: (DOWN_BYTES * 8) / (downMs * 1000),
    upMbps: (UP_BYTES * 8) / (upMs * 1000),
  };
}

// Pure: figures in, verdict and the advice keys out.
export function verdict(figures) {
  const advice = [];
  if (figures.rttMs > LIMITS.rttMs) advice.push("net.advice.latency");
  if (figures.downMbps < LIMITS.downMbps || figures.upMbps < LIMITS.upMbps) {
    advice.push("net.advice.bandwidth", "net.advice.audio_only");
  }
  return { verdict: advice.length ? "poor" : "good", advice };
}

export function renderResult(result) {
  const node = document.getElementById("net-result");
  const list = document.getElementById("net-advice");
  list.replaceChildren();
  if (!result) {
    node.dataset.verdict = "running";
    node.textContent = t("net.running");
    return;
  }
  node.dataset.verdict = result.verdict;
  if (result.verdict === "failed") {
    node.textContent = t("net.failed");
    return;
  }
  const figures = t("net.figures", {
    rtt: result.figures.rttMs,
    down: result.figures.downMbps.toFixed(1),
    up: result.figures.upMbps.toFixed(1),
  });
  node.textContent = `${t(`net.${result.verdict}`)} ${figures}`;
  for (const key of result.advice) {
    const item = document.createElement("li");
    item.textContent = t(key);
    list.append(item);
  }
}

// Runs the test, shows it, and keeps the last result so a language switch can redraw it.
export async function connectionCheck() {
  renderResult(null);
  let result;
  try {
    const figures = await measureConnection();
    result = { figures, ...verdict(figures) };
  } catch {
    result = { verdict: "failed", advice: [] };
  }
  renderResult(result);
  return result;
}
