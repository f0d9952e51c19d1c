// Video tiles: the current speaker large (the loudest voice for two seconds running, else the
// judge), everyone else small, each captioned with name, role and state (never colour alone).
import { t } from "/static/js/i18n.js";
import { ROLE } from "/static/js/protocol.js";

const SPEECH_LEVEL = 0.02;
const SAMPLE_MS = 1000;
const speaking = new WeakMap(); // courtroom -> { speaker, candidate }

function speakerOf(courtroom, shownIds) {
  const chosen = speaking.get(courtroom)?.speaker;
  if (chosen !== undefined && shownIds.includes(chosen)) return chosen;
  const judge = courtroom.room.members.find((m) => m.role === ROLE.JUDGE && shownIds.includes(m.participant_id));
  return judge ? judge.participant_id : shownIds[0];
}

function tileFor(container, participantId) {
  let tile = container.querySelector(`[data-participant="${participantId}"]`);
  if (!tile) {
    tile = document.createElement("figure");
    tile.dataset.participant = String(participantId);
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute("playsinline", "");
    tile.append(video, document.createElement("figcaption"));
    container.append(tile);
  }
  return tile;
}

export function renderVideos(container, courtroom) {
  const room = courtroom.room;
  if (!room) return;
  const shown = courtroom.slots
    .map((slot) => ({ slot, member: room.members.find((m) => m.participant_id === slot.participant_id) }))
    .filter((entry) => entry.member);
  const speaker = speakerOf(courtroom, shown.map((entry) => entry.member.participant_id));
  for (const { slot, member } of shown) {
    const tile = tileFor(container, member.participant_id);
    const video = tile.querySelector("video");
    const mids = `${slot.audio_mid},${slot.video_mid}`;
    const stream = courtroom.streamFor(member.participant_id);
    if (stream && video.dataset.mids !== mids) {
      video.srcObject = stream;
      video.dataset.mids = mids;
    }
    const flags = [member.name, t(`role.${member.role}`)];
    if (member.participant_id === speaker) flags.push(t("hearing.speaking"));
    if (member.hand_raised) flags.push(t("court.hand_raised"));
    if (member.muted) flags.push(t("court.muted"));
    if (!member.connected) flags.push(t("status.disconnected"));
    const label = flags.join(" · ");
    tile.querySelector("figcaption").textContent = label;
    video.setAttribute("aria-label", label);
    tile.classList.toggle("speaker", member.participant_id === speaker);
  }
  const ids = new Set(shown.map((entry) => String(entry.member.participant_id)));
  for (const tile of container.querySelectorAll("[data-participant]")) {
    if (!ids.has(tile.dataset.participant)) tile.remove();
  }
}

// Samples inbound audio levels; returns a function that stops sampling.
export function followSpeaker(container, courtroom) {
  const timer = setInterval(async () => {
    if (!courtroom.pc || !courtroom.room) return;
    let loudest = null;
    let level = SPEECH_LEVEL;
    for (const entry of await courtroom.inboundStats()) {
      if (entry.kind === "audio" && entry.participant_id !== null && entry.audioLevel > level) {
        loudest = entry.participant_id;
        level = entry.audioLevel;
      }
    }
    const state = speaking.get(courtroom) || { speaker: undefined, candidate: null };
    if (loudest !== null && loudest !== state.speaker && loudest === state.candidate) {
      state.speaker = loudest;
      speaking.set(courtroom, state);
      renderVideos(container, courtroom);
    }
    state.candidate = loudest;
    speaking.set(courtroom, state);
  }, SAMPLE_MS);
  return () => clearInterval(timer);
}
