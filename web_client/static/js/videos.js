// Video tiles: the first remote participant large, the others small, names and roles labelled.
import { t } from "/static/js/i18n.js";

export function renderVideos(container, courtroom) {
  const room = courtroom.room;
  if (!room) return;
  const shown = new Set();
  courtroom.slots.forEach((slot, index) => {
    const member = room.members.find((m) => m.participant_id === slot.participant_id);
    if (!member) return;
    shown.add(String(slot.participant_id));
    let tile = container.querySelector(`[data-participant="${slot.participant_id}"]`);
    if (!tile) {
      tile = document.createElement("figure");
      tile.dataset.participant = String(slot.participant_id);
      const video = document.createElement("video");
      video.autoplay = true;
      video.playsInline = true;
      video.setAttribute("playsinline", "");
      tile.append(video, document.createElement("figcaption"));
      container.append(tile);
    }
    const video = tile.querySelector("video");
    const stream = courtroom.streamFor(slot.participant_id);
    if (stream && video.dataset.mids !== `${slot.audio_mid},${slot.video_mid}`) {
      video.srcObject = stream;
      video.dataset.mids = `${slot.audio_mid},${slot.video_mid}`;
    }
    const label = `${member.name} · ${t(`role.${member.role}`)}${member.muted ? ` · ${t("court.muted")}` : ""}`;
    tile.querySelector("figcaption").textContent = label;
    video.setAttribute("aria-label", label);
    tile.classList.toggle("speaker", index === 0);
  });
  for (const tile of container.querySelectorAll("[data-participant]")) {
    if (!shown.has(tile.dataset.participant)) tile.remove();
  }
}
