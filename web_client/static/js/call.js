// The courtroom connection: Socket.IO signaling and one RTCPeerConnection with receive slots.
// Protocol: docs/signaling.md.
import { io } from "/static/vendor/socket.io.esm.min.js";
import { SERVER_EVENT } from "/static/js/protocol.js";

const SLOTS = 7;
const GATHER_TIMEOUT_MS = 5000;
const NOT_OPEN_RETRY_MS = 3000;
const QUALITY_INTERVAL_MS = 5000;
// Refusals the server words this way (signaling/namespace.py); pages show their own text.
export const REFUSALS = {
  "the courtroom is not open": "not_open",
  "the hearing is over": "over",
};

function gatheringComplete(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState === "complete") {
        pc.removeEventListener("icegatheringstatechange", done);
        resolve();
      }
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, GATHER_TIMEOUT_MS);
  });
}

export class Courtroom extends EventTarget {
  constructor({ hearingId, publish }) {
    super();
    this.hearingId = hearingId;
    this.publish = publish;
    this.room = null;
    this.me = null;
    this.slots = [];
    this.tracks = {};
    this.trackMaps = 0; // track_map events seen: an offer's ack must not undo a newer one
    this.pc = null;
    this.localStream = null;
    this.iceServers = [];
    this.mediaWanted = false;
    this.negotiating = false;
    this.quality = new Map(); // participant id -> last level (staff only receive these)
    this.messages = new Map(); // message id -> written message (court_messages.js)
    this.lostSeen = null; // inbound packet counters at the last quality report
    this.recording = null; // {state, active, reason} of the hearing's recording
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  connect() {
    this.socket = io("/hearing", {
      auth: { hearing_id: this.hearingId },
      transports: ["websocket"],
      reconnectionDelayMax: 4000,
    });
    this.socket.on("connect", () => this.onConnect());
    this.socket.on(SERVER_EVENT.ROOM, (snapshot) => this.setRoom(snapshot));
    this.socket.on(SERVER_EVENT.ROOM_UPDATE, (update) => this.applyUpdate(update));
    this.socket.on(SERVER_EVENT.STAGE, (change) => this.setStage(change));
    this.socket.on(SERVER_EVENT.ADMITTED, () => this.emit("admitted"));
    this.socket.on(SERVER_EVENT.TRACK_MAP, (data) => {
      this.trackMaps += 1;
      this.setSlots(data.slots, data.tracks);
    });
    this.socket.on(SERVER_EVENT.MEDIA_FAILED, () => this.mediaWanted && this.startMedia());
    this.socket.on(SERVER_EVENT.REMOVED, () => this.end("removed"));
    this.socket.on(SERVER_EVENT.DENIED, () => this.end("denied"));
    this.socket.on(SERVER_EVENT.QUALITY, (quality) => this.setQuality([quality]));
    this.socket.on(SERVER_EVENT.MESSAGE, (message) => this.addMessages([message]));
    this.socket.on(SERVER_EVENT.HEARING_STATE, (change) => this.emit("hearing-state", change));
    this.socket.on(SERVER_EVENT.RECORDING, (status) => this.setRecording(status));
    this.socket.on(SERVER_EVENT.RECORDING_ALERT, (alert) => this.emit("recording-alert", alert));
    this.socket.on(SERVER_EVENT.ERROR, (error) => this.emit("server-error", error));
    this.socket.on("disconnect", (reason) => {
      if (reason !== "io client disconnect") this.emit("reconnecting");
    });
    this.socket.on("connect_error", (error) => {
      const refusal = REFUSALS[error.message] || null;
      this.emit("connect-error", { message: error.message, refusal });
      // A refusal stops Socket.IO's own retries: a party early for the lobby keeps trying.
      if (refusal === "not_open" && !this.socket.active) {
        setTimeout(() => this.socket.connect(), NOT_OPEN_RETRY_MS);
      }
    });
  }

  async onConnect() {
    const reply = await this.socket.emitWithAck("join", {});
    if (!reply.ok) return this.emit("server-error", reply.error);
    this.me = reply.you;
    this.iceServers = reply.ice_servers;
    this.setQuality(reply.quality || []);
    this.messages.clear(); // the server's list is whole (its numbering restarts with it)
    this.addMessages(reply.messages || []);
    if (reply.recording) this.setRecording(reply.recording);
    this.emit("connected");
    this.setRoom(reply.room);
    if (this.mediaWanted && this.myStatus() === "admitted") await this.startMedia();
  }

  async call(event, data = {}) {
    const reply = await this.socket.emitWithAck(event, data);
    if (!reply.ok) this.emit("server-error", reply.error);
    return reply;
  }

  addMessages(list) {
    for (const message of list) this.messages.set(message.id, message);
    this.emit("messages", this.messageList());
  }

  messageList() {
    return [...this.messages.values()].sort((a, b) => a.id - b.id);
  }

  setRecording(status) {
    this.recording = status;
    this.emit("recording", status);
  }

  setQuality(list) {
    for (const quality of list) this.quality.set(quality.participant_id, quality);
    if (list.length) this.emit("quality", this.quality);
  }

  // Every few seconds while media flows: the share of packets lost (received by us, or sent by
  // us as the server's receiver reports say) and the round trip to the server.
  startQualityReports() {
    if (this.qualityTimer) return;
    this.qualityTimer = setInterval(() => this.reportQuality().catch(() => {}), QUALITY_INTERVAL_MS);
  }

  async reportQuality() {
    const pc = this.pc;
    if (!pc || pc.connectionState !== "connected" || !this.socket.connected) return;
    const stats = await pc.getStats();
    let lost = 0;
    let received = 0;
    let sentLoss = 0;
    let rtt = null;
    let pairId = null;
    stats.forEach((report) => {
      if (report.type === "inbound-rtp") {
        lost += Math.max(0, report.packetsLost || 0);
        received += report.packetsReceived || 0;
      } else if (report.type === "remote-inbound-rtp") {
        sentLoss = Math.max(sentLoss, report.fractionLost || 0);
      } else if (report.type === "transport") {
        pairId = report.selectedCandidatePairId;
      }
    });
    const pair = pairId ? stats.get(pairId) : null;
    if (pair && typeof pair.currentRoundTripTime === "number") {
      rtt = Math.round(pair.currentRoundTripTime * 1000);
    }
    const before = this.lostSeen || { lost: 0, received: 0 };
    this.lostSeen = { lost, received };
    const newLost = Math.max(0, lost - before.lost);
    const newReceived = Math.max(0, received - before.received);
    const inLoss = newLost + newReceived > 0 ? newLost / (newLost + newReceived) : 0;
    const loss = Math.min(1, Math.max(inLoss, sentLoss));
    const rttMs = rtt === null ? null : Math.min(rtt, 60000);
    await this.socket.emitWithAck("quality_report", { loss, rtt_ms: rttMs });
  }

  // This participant's own line in the room (status, muted, audio-only, hand), if known.
  mine() {
    return this.room?.members.find((m) => m.participant_id === this.me) ?? null;
  }

  myStatus() {
    return this.mine()?.status ?? null;
  }

  setRoom(snapshot) {
    if (this.room && snapshot.version < this.room.version) return;
    const before = this.myStatus();
    this.room = snapshot;
    this.emit("room", snapshot);
    if (before !== "admitted" && this.myStatus() === "admitted" && this.mediaWanted) {
      this.startMedia();
    }
  }

  // room_update carries only the members that changed; a gap in versions means we missed one.
  async applyUpdate(update) {
    if (!this.room || update.version <= this.room.version) return;
    if (update.version !== this.room.version + 1) {
      const reply = await this.call("join");
      if (reply.ok) this.setRoom(reply.room);
      return;
    }
    const before = this.myStatus();
    const members = [...this.room.members];
    for (const member of update.members) {
      const index = members.findIndex((m) => m.participant_id === member.participant_id);
      if (index >= 0) members[index] = member;
      else members.push(member);
    }
    const stage = "stage" in update ? update.stage : this.room.stage;
    this.room = { ...this.room, version: update.version, members, stage };
    this.emit("room", this.room);
    if (before !== "admitted" && this.myStatus() === "admitted" && this.mediaWanted) {
      this.startMedia();
    }
  }

  setStage(change) {
    if (!this.room || this.room.stage === change.stage) return;
    this.room = { ...this.room, stage: change.stage };
    this.emit("room", this.room);
  }

  setSlots(slots, tracks) {
    this.slots = slots;
    this.tracks = tracks || {};
    this.emit("slots", slots);
  }

  // Whose media arrives on a receive section: track_map's per-mid list, else the slot pairs.
  ownerOf(mid) {
    if (this.tracks && this.tracks[mid]) return this.tracks[mid].participant_id;
    const slot = this.slots.find((s) => s.audio_mid === mid || s.video_mid === mid);
    return slot ? slot.participant_id : null;
  }

  useLocalStream(stream) {
    this.localStream = stream;
  }

  async wantMedia() {
    this.mediaWanted = true;
    if (this.myStatus() === "admitted") await this.startMedia();
  }

  async startMedia() {
    if (this.negotiating) return;
    this.negotiating = true;
    try {
      if (this.pc) this.pc.close();
      const pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: "max-bundle" });
      this.pc = pc;
      this.lostSeen = null;
      this.startQualityReports();
      if (this.publish && this.localStream) {
        for (const track of [
          this.localStream.getAudioTracks()[0],
          this.localStream.getVideoTracks()[0],
        ]) {
          if (track) pc.addTransceiver(track, { direction: "sendonly", streams: [this.localStream] });
        }
      }
      for (let i = 0; i < SLOTS; i += 1) {
        pc.addTransceiver("audio", { direction: "recvonly" });
        pc.addTransceiver("video", { direction: "recvonly" });
      }
      pc.addEventListener("connectionstatechange", () => {
        this.emit("media-state", pc.connectionState);
        if (pc.connectionState === "failed" && this.pc === pc) {
          setTimeout(() => this.myStatus() === "admitted" && this.startMedia(), 1000);
        }
      });
      await pc.setLocalDescription(await pc.createOffer());
      await gatheringComplete(pc);
      const mapsBefore = this.trackMaps;
      const reply = await this.call("offer", { sdp: pc.localDescription.sdp });
      if (!reply.ok || this.pc !== pc) return;
      await pc.setRemoteDescription({ type: "answer", sdp: reply.sdp });
      if (this.trackMaps === mapsBefore) this.setSlots(reply.slots, reply.tracks);
      else this.emit("slots", this.slots); // the pc has its receivers now: render the newer map
    } finally {
      this.negotiating = false;
    }
  }

  streamFor(participantId) {
    const slot = this.slots.find((s) => s.participant_id === participantId);
    if (!slot || !this.pc) return null;
    const tracks = this.pc
      .getTransceivers()
      .filter((t) => t.mid === slot.audio_mid || t.mid === slot.video_mid)
      .map((t) => t.receiver.track);
    return new MediaStream(tracks);
  }

  async inboundStats() {
    if (!this.pc) return [];
    const stats = await this.pc.getStats();
    const result = [];
    stats.forEach((report) => {
      if (report.type !== "inbound-rtp") return;
      result.push({
        mid: report.mid,
        kind: report.kind,
        participant_id: this.ownerOf(report.mid),
        packetsReceived: report.packetsReceived || 0,
        framesDecoded: report.framesDecoded || 0,
        audioLevel: report.audioLevel || 0,
      });
    });
    return result;
  }

  async leave() {
    await this.call("leave");
    this.socket.disconnect();
    this.end("left");
  }

  end(reason) {
    this.mediaWanted = false;
    clearInterval(this.qualityTimer);
    if (this.pc) this.pc.close();
    this.pc = null;
    this.emit("ended", reason);
  }
}
