// Click to play: the recording from the moment of a transcript entry (staff only).
// GET /api/hearings/{id}/recording lists the closed segments on the hearing timeline
// ({segments: [{id, participant_id, kind, start_ms, end_ms, url}]}); the player picks the
// speaker's video and audio covering the moment (else the judge's, else anyone's) and seeks
// to offset - start_ms in each.
import { api } from "/static/js/api.js";

// The segments to play for a moment: one video and one audio, or null when none covers it.
export function pickSegments(segments, offsetMs, preferred) {
  const covering = segments.filter((s) => s.start_ms <= offsetMs && offsetMs < s.end_ms);
  const choose = (kind) => {
    const ofKind = covering.filter((s) => s.kind === kind);
    for (const who of preferred) {
      const found = ofKind.find((s) => String(s.participant_id) === String(who));
      if (found) return found;
    }
    return ofKind[0] || null;
  };
  const video = choose("video");
  const audio = choose("audio");
  // Audio and video of the same person stay together when both exist.
  const pairedAudio = video
    ? covering.find((s) => s.kind === "audio" && String(s.participant_id) === String(video.participant_id))
    : null;
  if (!video && !audio) return null;
  return { video, audio: pairedAudio || audio };
}

function seekAndPlay(media, segment, offsetMs) {
  return new Promise((resolve, reject) => {
    const start = () => {
      media.currentTime = Math.max(0, (offsetMs - segment.start_ms) / 1000);
      media.play().then(resolve, reject);
    };
    media.addEventListener("error", () => reject(new Error("media error")), { once: true });
    if (media.dataset.segment === String(segment.id) && media.readyState >= 1) {
      start();
      return;
    }
    media.dataset.segment = String(segment.id);
    media.addEventListener("loadedmetadata", start, { once: true });
    media.src = segment.url;
  });
}

// The segment that continues `segment` (same person and kind) on the timeline, if any.
export function nextSegment(segments, segment) {
  return segments.find((s) => s.kind === segment.kind && s.id !== segment.id
    && String(s.participant_id) === String(segment.participant_id)
    && s.start_ms <= segment.end_ms && segment.end_ms < s.end_ms) || null;
}

export class RecordingPlayer extends EventTarget {
  constructor({ hearingId, video, audio }) {
    super();
    this.hearingId = hearingId;
    this.video = video;
    this.audio = audio;
    this.judgeId = null;
    this.segments = [];
    this.playing = new Map(); // media element -> its segment
    // A segment ends every minute or so: go on with the next one of the same person.
    for (const media of [video, audio]) {
      media.addEventListener("ended", () => {
        const current = this.playing.get(media);
        const next = current && nextSegment(this.segments, current);
        if (!next) return;
        this.playing.set(media, next);
        seekAndPlay(media, next, current.end_ms).catch(() => this.status("transcript.play_failed"));
      });
    }
  }

  status(key, values = {}) {
    this.dispatchEvent(new CustomEvent("status", { detail: { key, values } }));
  }

  // Play from offsetMs, preferring the speaker's own picture and voice.
  async playAt(offsetMs, speakerId) {
    let listing;
    try {
      listing = await api("GET", `/api/hearings/${this.hearingId}/recording`);
    } catch {
      this.status("transcript.play_unavailable");
      return null;
    }
    const preferred = [speakerId, this.judgeId].filter((id) => id !== null && id !== undefined);
    this.segments = listing.segments || [];
    const picked = pickSegments(this.segments, offsetMs, preferred);
    if (!picked) {
      this.status("transcript.play_none");
      return null;
    }
    for (const media of [this.video, this.audio]) media.pause();
    const plays = [];
    this.playing.clear();
    if (picked.video) {
      this.playing.set(this.video, picked.video);
      this.video.hidden = false;
      // The video file carries no sound; the paired audio file plays beside it.
      this.video.muted = true;
      plays.push(seekAndPlay(this.video, picked.video, offsetMs));
    }
    if (picked.audio) {
      this.playing.set(this.audio, picked.audio);
      plays.push(seekAndPlay(this.audio, picked.audio, offsetMs));
    }
    try {
      await Promise.all(plays);
      this.status("transcript.playing");
    } catch {
      this.status("transcript.play_failed");
    }
    return picked;
  }
}
