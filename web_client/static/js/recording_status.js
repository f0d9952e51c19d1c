// The recording indicator (everyone), the judge's pause/resume with a reason, recording alerts.
// Server events (docs/signaling.md): `recording` {state, active, reason}, `recording_alert`
// {kind: failed | resumed | behind, ...}; the `join` ack carries the current `recording`.
import { t } from "/static/js/i18n.js";
import { PAUSE_REASONS } from "/static/js/protocol.js";

// Icons say the state as well as the text does, so nothing depends on colour alone.
const ICONS = { recording: "●", paused: "❚❚", failed: "⚠", stopped: "■" };

function indicatorText(status) {
  const state = t(`recording.state.${status.state}`);
  const reason = PAUSE_REASONS.includes(status.reason) ? t(`recording.reason.${status.reason}`) : "";
  return reason ? t("recording.with_reason", { state, reason }) : state;
}

// Renders `status` into the indicator node: an icon (hidden from screen readers) and the text.
export function renderIndicator(node, status) {
  const icon = document.createElement("span");
  icon.className = "recording-icon";
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = ICONS[status.state] || ICONS.stopped;
  const text = document.createElement("span");
  text.className = "recording-text";
  text.textContent = indicatorText(status);
  node.replaceChildren(icon, text);
  node.dataset.state = status.state;
  node.dataset.reason = status.reason || "";
}

function alertText(alert) {
  if (alert.kind === "failed") return t("recording.alert.failed", { message: alert.message || "" });
  if (alert.kind === "resumed") {
    return t("recording.alert.resumed", { seconds: Math.round((alert.down_for_ms || 0) / 1000) });
  }
  return t("recording.alert.behind", { frames: alert.dropped_frames || 0 });
}

// The indicator follows the courtroom's recording state; `alerts` (optional) shows alerts.
export function mountRecordingIndicator({ courtroom, indicator, alerts = null }) {
  let status = courtroom.recording || { state: "stopped", active: false, reason: null };
  let lastAlert = null;
  const render = () => {
    renderIndicator(indicator, status);
    if (alerts) {
      alerts.hidden = !lastAlert;
      alerts.textContent = lastAlert ? alertText(lastAlert) : "";
      alerts.dataset.kind = lastAlert ? lastAlert.kind : "";
    }
  };
  courtroom.addEventListener("recording", (event) => {
    status = event.detail;
    render();
  });
  courtroom.addEventListener("recording-alert", (event) => {
    lastAlert = event.detail;
    render();
  });
  render();
  return { refresh: render, status: () => status };
}

// The judge's controls: pausing needs one of the allowed reasons; resuming needs none.
export function mountRecordingControls({ courtroom, root, notice }) {
  const select = root.querySelector("#recording-reason");
  const pause = root.querySelector("#recording-pause");
  const resume = root.querySelector("#recording-resume");
  let status = courtroom.recording || { state: "stopped" };
  const fillReasons = () => {
    const chosen = select.value;
    const placeholder = document.createElement("option");
    placeholder.value = "";
    placeholder.textContent = t("recording.choose_reason");
    select.replaceChildren(placeholder, ...PAUSE_REASONS.map((reason) => {
      const option = document.createElement("option");
      option.value = reason;
      option.textContent = t(`recording.reason.${reason}`);
      return option;
    }));
    select.value = chosen;
  };
  const sync = () => {
    const pausable = status.state === "recording" || status.state === "failed";
    pause.hidden = !pausable;
    select.disabled = !pausable;
    pause.disabled = !pausable || !PAUSE_REASONS.includes(select.value);
    resume.hidden = status.state !== "paused";
  };
  select.addEventListener("change", sync);
  pause.addEventListener("click", async () => {
    if (!PAUSE_REASONS.includes(select.value)) return;
    const reply = await courtroom.call("recording_pause", { reason: select.value });
    if (reply.ok) {
      select.value = "";
      courtroom.setRecording(reply.recording);
    } else {
      notice(reply.error.message);
    }
  });
  resume.addEventListener("click", async () => {
    const reply = await courtroom.call("recording_resume", {});
    if (reply.ok) courtroom.setRecording(reply.recording);
    else notice(reply.error.message);
  });
  courtroom.addEventListener("recording", (event) => {
    status = event.detail;
    sync();
  });
  root.hidden = false;
  fillReasons();
  sync();
  return {
    refresh: () => {
      fillReasons();
      sync();
    },
  };
}
