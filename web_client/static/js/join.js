// The party's page: credentials → device check → court rules → lobby → hearing.
import { api, describeError, show } from "/static/js/api.js";
import { Courtroom } from "/static/js/call.js";
import { connectionCheck, renderResult } from "/static/js/connection_check.js";
import { bindLanguageSwitch, formatTime, loadLanguage, t } from "/static/js/i18n.js";
import { RECEIVE_ONLY_ROLES } from "/static/js/protocol.js";
import { mountRecordingIndicator } from "/static/js/recording_status.js";
import { mountMessages } from "/static/js/court_messages.js";
import { mountStateCard } from "/static/js/party_state.js";
import { ensureSignerKey, mountSigning } from "/static/js/signing.js";
import { mountTranscriptPane } from "/static/js/transcript_pane.js";
import { followSpeaker, renderVideos } from "/static/js/videos.js";

const state = { me: null, hearing: null, stream: null, courtroom: null, meterTimer: null, net: null };

// The connection test runs beside the camera check; its result stays for a language switch.
async function testConnection() {
  const again = document.getElementById("net-retry");
  again.disabled = true;
  state.net = null;
  state.net = await connectionCheck();
  again.disabled = false;
}

function notice(text) {
  const node = document.getElementById("notice");
  node.textContent = text || "";
  node.hidden = !text;
}

async function session() {
  const me = await api("GET", "/api/auth/session");
  return me.kind === "party" ? me : null;
}

async function signIn() {
  const existing = await session();
  if (existing) return existing;
  const match = location.pathname.match(/^\/j\/([A-Za-z0-9_-]{20,128})$/);
  if (!match) {
    show("screen-signin");
    return new Promise((resolve) => {
      document.getElementById("signin-form").addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          const account = document.getElementById("account").value.trim();
          const code = document.getElementById("code").value.trim();
          await api("POST", "/api/party/exchange", { account, code });
          resolve(await session());
        } catch (error) {
          notice(t("join.failed", { message: describeError(error) }));
        }
      });
    });
  }
  show("screen-exchanging");
  await api("POST", "/api/party/exchange", { token: match[1] });
  history.replaceState(null, "", "/join");
  return session();
}

function startMeter(stream) {
  const context = new AudioContext();
  state.audioContext = context;
  // Browsers start an AudioContext suspended until the page is touched: resume on the first one.
  if (context.state === "suspended") {
    const wake = () => context.resume();
    context.resume().catch(() => {});
    document.addEventListener("pointerdown", wake, { once: true });
    document.addEventListener("keydown", wake, { once: true });
  }
  const analyser = context.createAnalyser();
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  const meter = document.getElementById("mic-level");
  state.meterTimer = setInterval(() => {
    analyser.getByteTimeDomainData(samples);
    let peak = 0;
    for (const s of samples) peak = Math.max(peak, Math.abs(s - 128) / 128);
    // Fall back slowly so short sounds stay visible.
    meter.value = Math.max(peak, meter.value * 0.85);
  }, 100);
}

// Why getUserMedia failed, in words the party can act on.
function deviceProblem(error) {
  if (!window.isSecureContext || !navigator.mediaDevices) return "device.insecure";
  if (error.name === "NotFoundError" || error.name === "OverconstrainedError") return "device.missing";
  if (error.name === "NotReadableError" || error.name === "AbortError") return "device.busy";
  return "device.denied";
}

async function openDevices() {
  if (!window.isSecureContext || !navigator.mediaDevices) throw new Error("insecure context");
  return navigator.mediaDevices.getUserMedia({
    audio: true,
    video: { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 15 } },
  });
}

async function deviceCheck() {
  show("screen-device");
  document.getElementById("net-retry").onclick = testConnection;
  testConnection();
  const result = document.getElementById("device-result");
  const retry = document.getElementById("device-retry");
  while (!state.stream) {
    try {
      state.stream = await openDevices();
    } catch (error) {
      result.dataset.key = deviceProblem(error);
      result.textContent = t(result.dataset.key);
      retry.hidden = false;
      await new Promise((resolve) => retry.addEventListener("click", resolve, { once: true }));
    }
  }
  retry.hidden = true;
  document.getElementById("device-preview").srcObject = state.stream;
  startMeter(state.stream);
  result.dataset.key = "device.ok";
  result.textContent = t("device.ok");
  const next = document.getElementById("device-continue");
  next.disabled = false;
  await new Promise((resolve) => next.addEventListener("click", resolve, { once: true }));
  return true;
}

async function rules() {
  show("screen-rules");
  const box = document.getElementById("rules-accept");
  const next = document.getElementById("rules-continue");
  box.addEventListener("change", () => {
    next.disabled = !box.checked;
  });
  await new Promise((resolve) => next.addEventListener("click", resolve, { once: true }));
}

function renderRoom(room) {
  const courtroom = state.courtroom;
  const status = courtroom.myStatus();
  if (status === "lobby") show("screen-lobby");
  if (status === "admitted" && document.getElementById("screen-hearing").hidden) {
    show("screen-hearing");
  }
  document.getElementById("stage-name").textContent = room.stage
    ? t(`stage.${room.stage}`)
    : t("hearing.stage.none");
  syncControls();
  renderVideos(document.getElementById("videos"), courtroom);
}

// The buttons name what they will do ("Unmute" while muted); state lives in the tracks and room.
function syncControls() {
  if (!state.stream) return;
  const audio = state.stream.getAudioTracks()[0];
  const video = state.stream.getVideoTracks()[0];
  const mine = state.courtroom?.mine();
  const audioOnly = Boolean(mine && mine.audio_only);
  document.getElementById("toggle-mic").textContent = t(audio?.enabled ? "hearing.mute" : "hearing.unmute");
  document.getElementById("toggle-camera").textContent = t(
    video?.enabled ? "hearing.camera_off" : "hearing.camera_on",
  );
  document.getElementById("toggle-audio-only").textContent = t(
    audioOnly ? "hearing.video_on" : "hearing.audio_only",
  );
  document.getElementById("audio-only-note").hidden = !audioOnly;
  syncMuteBanner(Boolean(mine?.muted), audio ? !audio.enabled : false);
  const hand = document.getElementById("raise-hand");
  hand.hidden = !mine || RECEIVE_ONLY_ROLES.includes(mine.role);
  hand.textContent = t(mine?.hand_raised ? "hearing.lower_hand" : "hearing.raise_hand");
  hand.setAttribute("aria-pressed", String(Boolean(mine?.hand_raised)));
}

// Who muted the party decides what the banner says: the judge's mute wins (the party cannot undo it).
function syncMuteBanner(byJudge, bySelf) {
  const banner = document.getElementById("muted-note");
  const key = byJudge ? "hearing.muted_by_judge" : bySelf ? "mute_banner.self" : "";
  banner.hidden = !key;
  banner.dataset.mutedBy = byJudge ? "judge" : bySelf ? "self" : "";
  banner.textContent = key ? t(key) : "";
}

function bindControls() {
  const flip = (track) => {
    if (track) track.enabled = !track.enabled;
    syncControls();
  };
  document.getElementById("toggle-mic").addEventListener("click", () => flip(state.stream.getAudioTracks()[0]));
  document.getElementById("toggle-camera").addEventListener("click", () => flip(state.stream.getVideoTracks()[0]));
  document.getElementById("toggle-audio-only").addEventListener("click", async () => {
    const courtroom = state.courtroom;
    const mine = courtroom.mine();
    await courtroom.call("set_audio_only", { participant_id: courtroom.me, audio_only: !mine?.audio_only });
  });
  // Asking the judge for leave to speak, as a raised hand in the courtroom.
  document.getElementById("raise-hand").addEventListener("click", async () => {
    const courtroom = state.courtroom;
    const mine = courtroom.mine();
    await courtroom.call(mine?.hand_raised ? "lower_hand" : "raise_hand", {});
  });
}

function bindLeave() {
  document.getElementById("leave").addEventListener("click", async () => {
    if (!window.confirm(t("hearing.leave_confirm"))) return;
    await state.courtroom.leave();
    for (const track of state.stream.getTracks()) track.stop();
  });
}

async function enterCourtroom() {
  const hearing = state.hearing;
  document.getElementById("lobby-hearing").textContent = hearing.title;
  document.getElementById("lobby-case").textContent = hearing.case_number;
  document.getElementById("lobby-time").textContent = formatTime(hearing.scheduled_start);
  document.getElementById("hearing-title").textContent = `${hearing.case_number} ${hearing.title}`;
  document.getElementById("self-view").srcObject = state.stream;
  const courtroom = new Courtroom({ hearingId: hearing.id, publish: !RECEIVE_ONLY_ROLES.includes(state.me.role) });
  state.courtroom = courtroom;
  window.hearingCall = courtroom;
  courtroom.useLocalStream(state.stream);
  courtroom.addEventListener("room", (event) => renderRoom(event.detail));
  courtroom.addEventListener("slots", () => renderVideos(document.getElementById("videos"), courtroom));
  followSpeaker(document.getElementById("videos"), courtroom);
  state.card = mountStateCard({
    courtroom, screen: document.getElementById("screen-hearing"),
    card: document.getElementById("state-card"), initialState: hearing.state,
  });
  state.recording = mountRecordingIndicator({
    courtroom, indicator: document.getElementById("recording-indicator"),
  });
  const banner = document.getElementById("reconnecting");
  courtroom.addEventListener("connected", async () => {
    notice("");
    banner.hidden = true;
    await courtroom.call("accept_rules");
  });
  courtroom.addEventListener("reconnecting", () => {
    banner.hidden = false;
  });
  courtroom.addEventListener("connect-error", (event) => {
    const { message, refusal } = event.detail;
    if (refusal === "over") {
      courtroom.end("over");
      return;
    }
    notice(refusal ? t(`lobby.${refusal}`) : t("join.failed", { message }));
  });
  courtroom.addEventListener("server-error", (event) => notice(describeError(event.detail)));
  courtroom.addEventListener("ended", (event) => {
    document.getElementById("ended-reason").textContent = t(`hearing.${event.detail}`);
    show("screen-ended");
  });
  bindControls();
  bindLeave();
  courtroom.connect();
  state.transcript = mountTranscriptPane({
    courtroom, role: state.me.role, drawer: document.getElementById("transcript-drawer"),
    opener: document.getElementById("transcript-open"),
  });
  state.messages = mountMessages({
    courtroom, root: document.getElementById("messages-panel"), staff: false,
  });
  state.signing = mountSigning({
    courtroom, hearingId: hearing.id, participantId: state.me.participant_id, role: state.me.role,
    root: document.getElementById("signing-panel"), feed: state.transcript.feed,
    openCorrections: () => document.getElementById("transcript-open").click(),
  });
  await courtroom.wantMedia();
}

async function main() {
  await loadLanguage();
  bindLanguageSwitch(() => {
    const result = document.getElementById("device-result");
    if (result.dataset.key) result.textContent = t(result.dataset.key);
    if (state.net) renderResult(state.net);
    if (state.hearing) document.getElementById("lobby-time").textContent = formatTime(state.hearing.scheduled_start);
    if (state.courtroom?.room) renderRoom(state.courtroom.room);
    syncControls();
    state.transcript?.refresh();
    state.recording?.refresh();
    state.signing?.refresh();
    state.messages?.refresh();
    state.card?.refresh();
  });
  try {
    state.me = await signIn();
    const view = await api("GET", `/api/hearings/${state.me.hearing_id}`);
    state.hearing = view.hearing;
    // The signing key is registered now, before the judge confirms who we are (docs/bundle.md).
    try {
      await ensureSignerKey(view.hearing.id, state.me.participant_id);
    } catch (error) {
      notice(t("join.failed", { message: describeError(error) }));
    }
    const readyKey = `hs-ready-${state.me.participant_id}`;
    if (localStorage.getItem(readyKey)) {
      try {
        state.stream = await openDevices();
      } catch {
        await deviceCheck();
      }
    } else {
      if (!(await deviceCheck())) return;
      await rules();
      localStorage.setItem(readyKey, "1");
    }
    clearInterval(state.meterTimer);
    state.audioContext?.close();
    show("screen-lobby");
    await enterCourtroom();
  } catch (error) {
    notice(t("join.failed", { message: describeError(error) }));
    if (!state.me) show("screen-signin");
  }
}

main();
