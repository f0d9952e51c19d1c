// The party's page: credentials → device check → court rules → lobby → hearing.
import { api, show } from "/static/js/api.js";
import { Courtroom } from "/static/js/call.js";
import { bindLanguageSwitch, formatTime, loadLanguage, t } from "/static/js/i18n.js";
import { renderVideos } from "/static/js/videos.js";

const state = { me: null, hearing: null, stream: null, courtroom: null, meterTimer: null };

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
          notice(t("join.failed", { message: error.message }));
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
  const analyser = context.createAnalyser();
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  const meter = document.getElementById("mic-level");
  state.meterTimer = setInterval(() => {
    analyser.getByteTimeDomainData(samples);
    let peak = 0;
    for (const s of samples) peak = Math.max(peak, Math.abs(s - 128) / 128);
    meter.value = peak;
  }, 100);
}

async function deviceCheck() {
  show("screen-device");
  const result = document.getElementById("device-result");
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 15 } },
    });
  } catch {
    result.textContent = t("device.denied");
    return false;
  }
  document.getElementById("device-preview").srcObject = state.stream;
  startMeter(state.stream);
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
  const mine = room.members.find((m) => m.participant_id === courtroom.me);
  document.getElementById("muted-note").hidden = !(mine && mine.muted);
  renderVideos(document.getElementById("videos"), courtroom);
}

function bindControls() {
  const mic = document.getElementById("toggle-mic");
  mic.addEventListener("click", () => {
    const track = state.stream.getAudioTracks()[0];
    track.enabled = !track.enabled;
    mic.setAttribute("aria-pressed", String(!track.enabled));
    mic.textContent = t(track.enabled ? "hearing.mute" : "hearing.unmute");
  });
  const camera = document.getElementById("toggle-camera");
  camera.addEventListener("click", () => {
    const track = state.stream.getVideoTracks()[0];
    track.enabled = !track.enabled;
    camera.setAttribute("aria-pressed", String(!track.enabled));
    camera.textContent = t(track.enabled ? "hearing.camera_off" : "hearing.camera_on");
  });
  const audioOnly = document.getElementById("toggle-audio-only");
  audioOnly.addEventListener("click", async () => {
    const on = audioOnly.getAttribute("aria-pressed") !== "true";
    const reply = await state.courtroom.call("set_audio_only", {
      participant_id: state.courtroom.me,
      audio_only: on,
    });
    if (reply.ok) {
      audioOnly.setAttribute("aria-pressed", String(on));
      audioOnly.textContent = t(on ? "hearing.video_on" : "hearing.audio_only");
    }
  });
}

async function enterCourtroom() {
  const hearing = state.hearing;
  document.getElementById("lobby-case").textContent = hearing.case_number;
  document.getElementById("lobby-time").textContent = formatTime(hearing.scheduled_start);
  document.getElementById("hearing-title").textContent = `${hearing.case_number} ${hearing.title}`;
  document.getElementById("self-view").srcObject = state.stream;
  const courtroom = new Courtroom({ hearingId: hearing.id, publish: state.me.role !== "observer" });
  state.courtroom = courtroom;
  window.hearingCall = courtroom;
  courtroom.useLocalStream(state.stream);
  courtroom.addEventListener("room", (event) => renderRoom(event.detail));
  courtroom.addEventListener("slots", () => renderVideos(document.getElementById("videos"), courtroom));
  courtroom.addEventListener("connected", async () => {
    notice("");
    await courtroom.call("accept_rules");
  });
  courtroom.addEventListener("reconnecting", () => notice(t("hearing.reconnecting")));
  courtroom.addEventListener("connect-error", (event) => notice(event.detail));
  courtroom.addEventListener("server-error", (event) => notice(event.detail.message));
  courtroom.addEventListener("ended", (event) => {
    document.getElementById("ended-reason").textContent = t(`hearing.${event.detail}`);
    show("screen-ended");
  });
  bindControls();
  courtroom.connect();
  await courtroom.wantMedia();
}

async function main() {
  await loadLanguage();
  bindLanguageSwitch(() => state.courtroom?.room && renderRoom(state.courtroom.room));
  try {
    state.me = await signIn();
    const view = await api("GET", `/api/hearings/${state.me.hearing_id}`);
    state.hearing = view.hearing;
    const readyKey = `hs-ready-${state.me.participant_id}`;
    if (localStorage.getItem(readyKey)) {
      state.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    } else {
      if (!(await deviceCheck())) return;
      await rules();
      localStorage.setItem(readyKey, "1");
    }
    clearInterval(state.meterTimer);
    show("screen-lobby");
    await enterCourtroom();
  } catch (error) {
    notice(t("join.failed", { message: error.message }));
    if (!state.me) show("screen-signin");
  }
}

main();
