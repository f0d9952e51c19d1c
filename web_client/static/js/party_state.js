// The party's state card: what the hearing is doing, in words, in place of the video when the
// video is not the point (not started yet, recess, closed, signing, sealed). Driven by the
// server's `hearing_state` event (docs/signaling.md), so it changes without a reload.
import { t } from "/static/js/i18n.js";

// Hearing states (hearing_server/domain/hearing_state.py) that show no card: the video is the page.
const LIVE = new Set(["in_session"]);
// Before the start the judge may already check identities on video, so the card stays small
// and the video visible; in these states the video is not the point and the card takes its place.
const COVERING = new Set(["recessed", "closed", "signing", "sealed"]);

export function mountStateCard({ courtroom, screen, card, initialState }) {
  let current = initialState;

  function render() {
    const shown = Boolean(current) && !LIVE.has(current);
    card.hidden = !shown;
    screen.dataset.hearingState = current || "";
    const covering = shown && COVERING.has(current);
    screen.classList.toggle("covered", covering);
    card.classList.toggle("compact", shown && !covering);
    if (!shown) return;
    card.dataset.state = current;
    card.querySelector("[data-card-title]").textContent = t(`party_state.${current}.title`);
    card.querySelector("[data-card-text]").textContent = t(`party_state.${current}.text`);
  }

  courtroom.addEventListener("hearing-state", (event) => {
    current = event.detail.state;
    render();
  });
  render();
  return { refresh: render, state: () => current };
}
