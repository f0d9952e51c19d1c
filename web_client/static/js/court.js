// The judge's courtroom console: state, lobby admission, participants, stages, videos.
import { api, describeError } from "/static/js/api.js";
import { Courtroom } from "/static/js/call.js";
import { mountMessages } from "/static/js/court_messages.js";
import { bindLanguageSwitch, loadLanguage, t } from "/static/js/i18n.js";
import { mountExports, renderExports } from "/static/js/exports_panel.js";
import { CLERK_ACTIONS, ROLE, STAFF_ROLES, STAGES } from "/static/js/protocol.js";
import { mountRecordingControls, mountRecordingIndicator } from "/static/js/recording_status.js";
import { mountSigning } from "/static/js/signing.js";
import { mountTranscriptEditor } from "/static/js/transcript_editor.js";
import { followSpeaker, renderVideos } from "/static/js/videos.js";

const hearingId = Number(location.pathname.split("/")[3]);
const page = { hearing: null, courtroom: null, you: null, skewMs: 0, shownStage: null, hands: [] };

// The hearing's view with the server's clock: elapsed times are measured against the server.
async function loadView() {
  const view = await api("GET", `/api/hearings/${hearingId}`);
  page.skewMs = Date.parse(view.now) - Date.now();
  page.hearing = view.hearing;
  return view;
}

function notice(text) {
  const node = document.getElementById("notice");
  node.textContent = text || "";
  node.hidden = !text;
}

function button(labelKey, onClick, extra = {}) {
  const node = document.createElement("button");
  node.type = "button";
  node.textContent = t(labelKey);
  node.addEventListener("click", onClick);
  for (const [key, value] of Object.entries(extra)) node.setAttribute(key, value);
  return node;
}

function pad(value) {
  return String(value).padStart(2, "0");
}

// Time since the hearing first started (recesses included), as the judge's clock shows it.
function renderTimer() {
  const box = document.getElementById("hearing-timer");
  const started = page.hearing?.started_at;
  box.hidden = !started;
  if (!started) return;
  const now = Date.now() + page.skewMs;
  const seconds = Math.max(0, Math.floor((now - Date.parse(started)) / 1000));
  const text = `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
  const value = document.getElementById("timer-value");
  value.textContent = text;
  value.dateTime = `PT${seconds}S`;
}

function isJudge() {
  return page.you?.role === ROLE.JUDGE;
}

function renderState() {
  document.getElementById("stage-control").hidden = !isJudge();
  const hearing = page.hearing;
  document.getElementById("court-heading").textContent = `${hearing.case_number} ${hearing.title}`;
  document.getElementById("hearing-state").textContent = t(`state.${hearing.state}`);
  const box = document.getElementById("transitions");
  box.replaceChildren(
    ...hearing.allowed_actions.filter((a) => isJudge() || CLERK_ACTIONS.includes(a)).map((action) =>
      button(`court.action.${action}`, async () => {
        try {
          await api("POST", `/api/hearings/${hearingId}/transitions`, { action });
          await loadView();
          renderState();
        } catch (error) {
          notice(error.message);
        }
      }, { "data-action": action }),
    ),
  );
  const select = document.getElementById("stage-select");
  const chosen = select.value;
  select.replaceChildren(
    ...STAGES.map((stage) => {
      const option = document.createElement("option");
      option.value = stage;
      option.textContent = t(`stage.${stage}`);
      return option;
    }),
  );
  if (chosen) select.value = chosen;
}

function personLine(member) {
  const item = document.createElement("li");
  item.dataset.participant = String(member.participant_id);
  const text = document.createElement("span");
  const flags = [
    t(`role.${member.role}`),
    t(`status.${member.connected ? "connected" : "disconnected"}`),
    t(member.identity_verified ? "court.identity_ok" : "court.identity_unchecked"),
  ];
  if (!STAFF_ROLES.includes(member.role)) {
    flags.push(t(member.rules_accepted ? "court.rules_ok" : "court.rules_pending"));
  }
  const quality = page.courtroom?.quality.get(member.participant_id);
  if (quality && member.connected) {
    const figures = t("quality.figures", {
      loss: Math.round(quality.loss * 100),
      rtt: quality.rtt_ms === null ? "?" : quality.rtt_ms,
    });
    flags.push(`${t(`quality.${quality.level}`)} ${figures}`);
  }
  if (member.hand_raised) flags.push(t("court.hand_raised"));
  if (member.muted) flags.push(t("court.muted"));
  if (member.audio_only) flags.push(t("court.audio_only"));
  text.textContent = t("court.person", { name: member.name, flags: flags.join(t("list.separator")) });
  item.append(text);
  return item;
}

function act(event, data) {
  return () => page.courtroom.call(event, data);
}

// Refusing and removing cannot be undone from the console: ask first.
function actAfterConfirming(questionKey, name, event, data) {
  return () => {
    if (window.confirm(t(questionKey, { name }))) page.courtroom.call(event, data);
  };
}

// Who asks to speak, in the order this console saw the hands go up.
function renderHands(people) {
  const raised = new Map(people.filter((m) => m.hand_raised).map((m) => [m.participant_id, m]));
  page.hands = [...page.hands.filter((id) => raised.has(id)),
    ...[...raised.keys()].filter((id) => !page.hands.includes(id))];
  const note = document.getElementById("hands-note");
  note.hidden = !page.hands.length;
  note.textContent = page.hands.length
    ? t("court.hands", { names: page.hands.map((id) => raised.get(id).name).join(t("list.separator")) })
    : "";
}

function renderRoom(room) {
  // The dropdown follows the stage only when the stage itself changes: an unrelated update
  // (someone connects, is muted) must not undo the judge's choice before "set stage".
  const select = document.getElementById("stage-select");
  if (room.stage && room.stage !== page.shownStage && document.activeElement !== select) {
    select.value = room.stage;
    page.shownStage = room.stage;
  }
  document.getElementById("stage-name").textContent = room.stage
    ? t(`stage.${room.stage}`)
    : t("hearing.stage.none");
  const lobby = room.members.filter((m) => m.status === "lobby" && m.connected);
  const lobbyList = document.getElementById("lobby-list");
  lobbyList.replaceChildren(
    ...lobby.map((member) => {
      const item = personLine(member);
      const id = member.participant_id;
      const name = member.name;
      if (isJudge()) {
        item.append(
          button("court.admit", act("admit", { participant_id: id }), {
            "data-admit": String(id), "aria-label": `${t("court.admit")}: ${name}`,
          }),
          button("court.deny", actAfterConfirming("court.deny_confirm", name, "deny", { participant_id: id }), {
            "data-deny": String(id), "aria-label": `${t("court.deny")}: ${name}`,
          }),
        );
      }
      if (!member.identity_verified) {
        item.append(button("court.confirm_identity", act("confirm_identity", { participant_id: id }),
          { "data-confirm-identity": String(id), "aria-label": `${t("court.confirm_identity")}: ${name}` }));
      }
      return item;
    }),
  );
  if (!lobby.length) {
    const empty = document.createElement("li");
    empty.textContent = t("court.lobby.empty");
    lobbyList.append(empty);
  }
  const people = room.members.filter((m) => m.status === "admitted");
  renderHands(people);
  document.getElementById("people-list").replaceChildren(
    ...people.map((member) => {
      const item = personLine(member);
      const id = member.participant_id;
      const name = member.name;
      if (member.hand_raised) {  // the judge gives leave to speak (or not), then lowers it
        item.append(button("court.lower_hand", act("lower_hand", { participant_id: id }),
          { "data-lower-hand": String(id), "aria-label": `${t("court.lower_hand")}: ${name}` }));
        item.classList.add("hand-raised");
      }
      if (id !== page.courtroom.me && isJudge()) {
        item.append(
          button(member.muted ? "court.unmute" : "court.mute",
            act("mute", { participant_id: id, muted: !member.muted }),
            { "data-mute": String(id), "aria-label": `${t(member.muted ? "court.unmute" : "court.mute")}: ${name}` }),
          button(member.audio_only ? "court.video_on" : "court.audio_only",
            act("set_audio_only", { participant_id: id, audio_only: !member.audio_only }),
            { "aria-label": `${t(member.audio_only ? "court.video_on" : "court.audio_only")}: ${name}` }),
          button("court.remove", actAfterConfirming("court.remove_confirm", name, "remove", { participant_id: id }),
            { "data-remove": String(id), "aria-label": `${t("court.remove")}: ${name}` }),
        );
      }
      if (id !== page.courtroom.me && !member.identity_verified) {
        item.append(button("court.confirm_identity", act("confirm_identity", { participant_id: id }),
          { "data-confirm-identity": String(id), "aria-label": `${t("court.confirm_identity")}: ${name}` }));
      }
      return item;
    }),
  );
  renderVideos(document.getElementById("videos"), page.courtroom);
}

async function main() {
  await loadLanguage();
  // Ask who we are first: an anonymous 401 would land in the browser console as an error.
  const me = await api("GET", "/api/auth/session");
  if (me.kind !== "staff") {
    location.assign(`/staff/login?next=${encodeURIComponent(location.pathname)}`);
    return;
  }
  let view;
  try {
    view = await loadView();
  } catch (error) {
    notice(t("error.generic", { message: error.message }));
    return;
  }
  page.hearing = view.hearing;
  page.you = view.you;
  bindLanguageSwitch(() => {
    renderState();
    renderExports();
    if (page.courtroom.room) renderRoom(page.courtroom.room);
    page.transcript?.refresh();
    page.recordingIndicator?.refresh();
    page.recordingControls?.refresh();
    page.signing?.refresh();
    page.messages?.refresh();
  });
  renderState();
  renderTimer();
  setInterval(renderTimer, 1000);
  document.getElementById("set-stage").addEventListener("click", () =>
    page.courtroom.call("set_stage", { stage: document.getElementById("stage-select").value }),
  );
  const courtroom = new Courtroom({ hearingId, publish: true });
  page.courtroom = courtroom;
  window.hearingCall = courtroom;
  courtroom.addEventListener("room", (event) => renderRoom(event.detail));
  courtroom.addEventListener("quality", () => courtroom.room && renderRoom(courtroom.room));
  // Another console (or the API) moved the hearing: show its state and the actions now open.
  courtroom.addEventListener("hearing-state", () => {
    loadView().then(renderState, (error) => notice(describeError(error)));
  });
  courtroom.addEventListener("slots", () => renderVideos(document.getElementById("videos"), courtroom));
  followSpeaker(document.getElementById("videos"), courtroom);
  page.recordingIndicator = mountRecordingIndicator({
    courtroom, indicator: document.getElementById("recording-indicator"),
    alerts: document.getElementById("recording-alert"),
  });
  if (isJudge()) {
    page.recordingControls = mountRecordingControls({
      courtroom, root: document.getElementById("recording-control"), notice,
    });
  }
  courtroom.addEventListener("server-error", (event) => notice(event.detail.message));
  courtroom.addEventListener("connect-error", (event) => notice(event.detail.message));
  const banner = document.getElementById("reconnecting");
  courtroom.addEventListener("reconnecting", () => {
    banner.hidden = false;
  });
  courtroom.addEventListener("connected", () => {
    notice("");
    banner.hidden = true;
  });
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    document.getElementById("self-view").srcObject = stream;
    courtroom.useLocalStream(stream);
  } catch {
    notice(t("device.denied"));
  }
  courtroom.connect();
  mountExports({
    hearingId, courtroom, role: page.you?.role, root: document.getElementById("exports-panel"),
  }).catch((error) => notice(t("error.generic", { message: error.message })));
  page.messages = mountMessages({
    courtroom, root: document.getElementById("messages-panel"), staff: true,
  });
  page.signing = mountSigning({
    courtroom, hearingId, participantId: page.you?.id, role: page.you?.role, staff: true,
    root: document.getElementById("signing-panel"),
  });
  mountTranscriptEditor({
    courtroom, hearingId, role: page.you?.role, root: document.getElementById("transcript-panel"),
  }).then((transcript) => {
    page.transcript = transcript;
  }, (error) => notice(t("error.generic", { message: error.message })));
  await courtroom.wantMedia();
}

main();
