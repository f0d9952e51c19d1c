// The live transcript as this page holds it: a replica kept in step with the server.
// Protocol: docs/signaling.md "The live transcript". The replica starts as the empty
// transcript at version 0, applies each `transcript_delta` whose version is its own + 1,
// ignores older ones, and on a gap (or after every reconnect) asks `transcript_sync` for what
// it missed: either exactly the deltas, or a snapshot to start over from.
// The server checks every rule; this replica only mirrors what the server accepted.
import { SERVER_EVENT } from "/static/js/protocol.js";

function emptyState() {
  return { version: 0, state: "drafting", entries: new Map(), corrections: new Map(), signatures: [] };
}

function addVersion(entry, text, actorId, at, cause, correctionId = null) {
  const versions = [...entry.versions, {
    version: entry.versions.length + 1, text, editor_id: actorId, at, cause, correction_id: correctionId,
  }];
  return { ...entry, text, versions, edited_at: at };
}

// Apply one delta's payload (transcript/replica.py is the reference).
export function applyDelta(model, delta) {
  const p = delta.payload;
  const actorId = p.actor.id;
  switch (delta.kind) {
    case "transcript.entry_added":
      model.entries.set(p.entry_id, {
        entry_id: p.entry_id, speaker: p.speaker, media_offset_ms: p.media_offset_ms, stage: p.stage,
        author_id: actorId, created_at: p.at, edited_at: null, text: p.text, deleted: null,
        versions: [{ version: 1, text: p.text, editor_id: actorId, at: p.at, cause: "created", correction_id: null }],
      });
      break;
    case "transcript.entry_edited":
      model.entries.set(p.entry_id, addVersion(model.entries.get(p.entry_id), p.text, actorId, p.at, "edited"));
      break;
    case "transcript.entry_deleted":
      model.entries.set(p.entry_id, { ...model.entries.get(p.entry_id), deleted: { by: actorId, at: p.at, reason: p.reason } });
      break;
    case "transcript.correction_filed":
      model.corrections.set(p.correction_id, {
        correction_id: p.correction_id, entry_id: p.entry_id, entry_version: p.entry_version,
        requester: p.actor, proposed_text: p.proposed_text, reason: p.reason, filed_at: p.at,
        status: "pending", ruled_by: null, ruled_at: null, ruling_note: null,
      });
      model.signatures = [];
      break;
    case "transcript.correction_accepted": {
      const correction = model.corrections.get(p.correction_id);
      const entry = model.entries.get(correction.entry_id);
      model.entries.set(entry.entry_id,
        addVersion(entry, correction.proposed_text, actorId, p.at, "correction", correction.correction_id));
      model.corrections.set(p.correction_id, {
        ...correction, status: "accepted", ruled_by: actorId, ruled_at: p.at, ruling_note: p.note ?? null,
      });
      break;
    }
    case "transcript.correction_refused":
      model.corrections.set(p.correction_id, {
        ...model.corrections.get(p.correction_id), status: "refused", ruled_by: actorId, ruled_at: p.at,
        ruling_note: p.note,
      });
      model.signatures = [];
      break;
    case "transcript.locked":
      model.state = "locked_for_review";
      break;
    case "transcript.unlocked":
      model.state = "drafting";
      model.signatures = [];
      break;
    case "transcript.signature_added":
      model.signatures = [...model.signatures, { signer_id: actorId, manifest_hash: p.manifest_hash, signed_at: p.at }];
      break;
    case "transcript.signed":
      model.state = "signed";
      break;
    default:
      throw new Error(`unknown transcript delta ${delta.kind}`);
  }
  model.version = delta.version;
}

export function modelFromSnapshot(snapshot) {
  return {
    version: snapshot.version,
    state: snapshot.state,
    entries: new Map(snapshot.entries.map((e) => [e.entry_id, e])),
    corrections: new Map(snapshot.corrections.map((c) => [c.correction_id, c])),
    signatures: snapshot.signatures,
  };
}

// Entries in timeline order: media offset, then the order they were written.
export function orderedEntries(model) {
  return [...model.entries.values()].sort(
    (a, b) => a.media_offset_ms - b.media_offset_ms || a.entry_id - b.entry_id,
  );
}

// hh:mm:ss on the hearing timeline.
export function clockTime(offsetMs) {
  const seconds = Math.floor(offsetMs / 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
}

// Fires "change" (detail: the model) whenever the transcript this page holds changes.
export class TranscriptFeed extends EventTarget {
  constructor(courtroom) {
    super();
    this.courtroom = courtroom;
    this.model = emptyState();
    this.synced = false;
    this.syncing = false;
    this.queued = [];
  }

  // Call after courtroom.connect(): the socket exists from then on.
  attach() {
    const courtroom = this.courtroom;
    courtroom.socket.on(SERVER_EVENT.TRANSCRIPT_DELTA, (delta) => this.receive(delta));
    courtroom.addEventListener("connected", () => {
      this.synced = false; // whatever was missed while away comes with the next sync
    });
    courtroom.addEventListener("room", () => this.syncIfAllowed());
    courtroom.addEventListener("admitted", () => this.syncIfAllowed());
    this.syncIfAllowed(); // mounted after the room arrived
  }

  // Only admitted participants and staff see the transcript; the lobby would be refused.
  syncIfAllowed() {
    if (!this.synced && !this.syncing && this.courtroom.myStatus() === "admitted") this.sync();
  }

  async sync() {
    this.syncing = true;
    try {
      const reply = await this.courtroom.socket.emitWithAck("transcript_sync", { since_version: this.model.version });
      if (!reply.ok) return;
      if (reply.snapshot) {
        this.model = modelFromSnapshot(reply.snapshot);
      } else {
        for (const delta of reply.deltas) if (delta.version === this.model.version + 1) applyDelta(this.model, delta);
      }
      this.synced = true;
    } finally {
      this.syncing = false;
    }
    const queued = this.queued;
    this.queued = [];
    for (const delta of queued) this.receive(delta, false);
    this.changed();
  }

  receive(delta, announce = true) {
    if (this.syncing) {
      this.queued.push(delta);
      return;
    }
    if (delta.version <= this.model.version) return;
    if (delta.version !== this.model.version + 1) {
      this.synced = false;
      this.sync();
      return;
    }
    applyDelta(this.model, delta);
    if (announce) this.changed();
  }

  changed() {
    this.dispatchEvent(new CustomEvent("change", { detail: this.model }));
  }

  // Helpers for the panes: the server's reply to a transcript message, errors as events.
  async send(event, data) {
    return this.courtroom.call(event, data);
  }
}
