// Signing the locked transcript (docs/bundle.md). The signing key is made here with WebCrypto
// (ECDSA P-256, private key not extractable) and kept in IndexedDB, so a reload or reconnect
// reuses it; only its public key goes to the server. The signer draws a signature with a finger
// on a canvas, reads what the server will record (the manifest), and signs those exact bytes;
// or refuses with a reason. Staff also see everyone's progress.
import { api, describeError } from "/static/js/api.js";
import { formatTime, t } from "/static/js/i18n.js";
import { SERVER_EVENT, SIGNING_ROLES, STAFF_ROLES } from "/static/js/protocol.js";
import { orderedEntries } from "/static/js/transcript_feed.js";
import { element, entryBody, textKey } from "/static/js/transcript_view.js";

const DB_NAME = "hearing-signing";
const STORE = "keys";

function request(idbRequest) {
  return new Promise((resolve, reject) => {
    idbRequest.onsuccess = () => resolve(idbRequest.result);
    idbRequest.onerror = () => reject(idbRequest.error);
  });
}

async function keyStore(mode) {
  const open = indexedDB.open(DB_NAME, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  const db = await request(open);
  return db.transaction(STORE, mode).objectStore(STORE);
}

function base64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// This device's signing key for one seat in one hearing, registered with the server once per
// page load (the join flow and the signing panel both ask for it).
const registrations = new Map();

export function ensureSignerKey(hearingId, participantId) {
  const name = `${hearingId}:${participantId}`;
  if (!registrations.has(name)) {
    const registered = registerSignerKey(hearingId, participantId, name);
    registered.catch(() => registrations.delete(name)); // asked again next time
    registrations.set(name, registered);
  }
  return registrations.get(name);
}

async function registerSignerKey(hearingId, participantId, name) {
  let pair = await request((await keyStore("readonly")).get(name));
  if (!pair) {
    pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    await request((await keyStore("readwrite")).put(pair, name));
  }
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  const reply = await api("POST", `/api/hearings/${hearingId}/signer-key`, { public_key: base64(spki) });
  return { pair, fingerprint: reply.key.fingerprint, bound: reply.key.bound };
}

// A finger (or mouse, or pen) signature on a canvas, through pointer events.
class SignaturePad extends EventTarget {
  constructor(canvas) {
    super();
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.strokes = 0;
    this.last = null;
    canvas.addEventListener("pointerdown", (event) => this.down(event));
    canvas.addEventListener("pointermove", (event) => this.move(event));
    for (const name of ["pointerup", "pointercancel", "pointerleave"]) {
      canvas.addEventListener(name, () => {
        this.last = null;
      });
    }
  }

  point(event) {
    const box = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) * this.canvas.width) / box.width,
      y: ((event.clientY - box.top) * this.canvas.height) / box.height,
    };
  }

  down(event) {
    event.preventDefault();
    this.canvas.setPointerCapture?.(event.pointerId);
    this.last = this.point(event);
    this.strokes += 1;
    this.dispatchEvent(new Event("change"));
  }

  move(event) {
    if (!this.last) return;
    event.preventDefault();
    const next = this.point(event);
    const pen = this.context;
    pen.lineWidth = 3;
    pen.lineCap = "round";
    pen.strokeStyle = "#111";
    pen.beginPath();
    pen.moveTo(this.last.x, this.last.y);
    pen.lineTo(next.x, next.y);
    pen.stroke();
    this.last = next;
  }

  clear() {
    this.context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.strokes = 0;
    this.dispatchEvent(new Event("change"));
  }

  async png() {
    const blob = await new Promise((resolve) => this.canvas.toBlob(resolve, "image/png"));
    return new Uint8Array(await blob.arrayBuffer());
  }
}

// The first 64 bits of a key's fingerprint, in groups of four: short enough to read aloud.
export function keyCode(fingerprint) {
  return fingerprint.slice(0, 16).match(/.{4}/g).join(" ");
}

function statusText(signer) {
  if (signer.status === "signed") return t("signing.status_signed", { time: formatTime(signer.at) });
  if (signer.status === "refused") return t("signing.status_refused", { reason: signer.reason });
  return t("signing.status_pending");
}

// Mounts the signing panel into `root`. `feed` (optional) is the page's TranscriptFeed: the
// party reads the full transcript here; `openCorrections` opens the correction drawer.
export function mountSigning({ courtroom, hearingId, participantId, role, root, feed, openCorrections, staff }) {
  const panel = { key: null, status: null, manifest: null, busy: false };
  const maySign = SIGNING_ROLES.includes(role);
  const mayAcceptKeys = staff && STAFF_ROLES.includes(role);
  const title = textKey("signing.title", "h2", "");
  title.id = "signing-title";
  title.tabIndex = -1;
  const summary = element("p", "signing-summary");
  summary.setAttribute("role", "status");
  const progress = element("ul", "signing-progress");
  progress.hidden = !staff;

  const reading = element("section", "signing-read");
  const readTitle = textKey("signing.read", "h3", "");
  const transcriptList = element("ol", "transcript-list signing-transcript");
  const correct = textKey("signing.correct", "button", "");
  correct.type = "button";
  correct.hidden = !openCorrections;
  correct.addEventListener("click", () => openCorrections?.());
  reading.append(readTitle, transcriptList, correct);
  reading.hidden = !feed;

  // This device's key arrived after the party's identity was confirmed: it waits for a second
  // identity check, and the party reads its code to the judge.
  const keyNote = element("p", "notice key-waiting");
  keyNote.id = "key-waiting-note";
  keyNote.setAttribute("role", "status");
  keyNote.hidden = true;

  const pad = element("section", "signing-pad");
  const padLabel = textKey("signing.draw", "label", "");
  const canvas = element("canvas", "signature-canvas");
  canvas.id = "signature-canvas";
  canvas.width = 480;
  canvas.height = 160;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", t("signing.draw"));
  padLabel.htmlFor = canvas.id;
  const clear = textKey("signing.clear", "button", "");
  clear.type = "button";
  const sign = textKey("signing.sign", "button", "primary");
  sign.type = "button";
  sign.disabled = true;
  const refuse = textKey("signing.refuse", "button", "danger");
  refuse.type = "button";
  pad.append(padLabel, canvas, clear, sign, refuse);
  const signaturePad = new SignaturePad(canvas);
  signaturePad.addEventListener("change", () => {
    sign.disabled = signaturePad.strokes === 0 || panel.busy;
  });
  clear.addEventListener("click", () => signaturePad.clear());

  const review = element("section", "signing-review");
  review.hidden = true;
  const reviewTitle = textKey("signing.review", "h3", "");
  const reviewFacts = element("dl", "facts");
  const confirm = textKey("signing.confirm", "button", "primary");
  confirm.type = "button";
  const back = textKey("signing.back", "button", "");
  back.type = "button";
  review.append(reviewTitle, reviewFacts, confirm, back);

  const refusal = element("form", "signing-refusal");
  refusal.hidden = true;
  const reasonLabel = textKey("signing.refuse_reason", "label", "");
  const reason = element("textarea");
  reason.id = "refuse-reason";
  reason.rows = 3;
  reasonLabel.htmlFor = reason.id;
  const refuseSubmit = textKey("signing.refuse_submit", "button", "danger");
  refuseSubmit.type = "submit";
  const refuseBack = textKey("signing.back", "button", "");
  refuseBack.type = "button";
  refusal.append(reasonLabel, reason, refuseSubmit, refuseBack);

  const done = element("section", "signing-done");
  done.hidden = true;
  const doneText = element("p", "signing-done-text");
  const doneFacts = element("dl", "facts");
  done.append(doneText, doneFacts);
  const error = element("p", "notice");
  error.setAttribute("role", "alert");
  error.hidden = true;

  root.replaceChildren(title, summary, progress, reading, keyNote, pad, review, refusal, done, error);

  function fact(list, key, value) {
    const dt = textKey(key, "dt", "");
    const dd = element("dd", "hash", value);
    list.append(dt, dd);
  }
  function fail(err) {
    error.textContent = describeError(err);
    error.hidden = false;
  }
  function step(which) {
    pad.hidden = which !== "pad";
    review.hidden = which !== "review";
    refusal.hidden = which !== "refuse";
    done.hidden = which !== "done";
  }

  function renderTranscript() {
    if (!feed) return;
    const entries = orderedEntries(feed.model).filter((entry) => !entry.deleted);
    transcriptList.replaceChildren(
      ...entries.map((entry) => {
        const item = element("li", "entry");
        item.append(entryBody(entry));
        return item;
      }),
    );
  }

  function render() {
    const status = panel.status;
    if (!status) return;
    const locked = status.transcript_state !== "drafting";
    root.hidden = !locked && !staff;
    const mine = status.signers.find((s) => s.participant_id === participantId);
    summary.textContent = !locked
      ? t("signing.not_locked")
      : t("signing.summary", {
        signed: status.signers.filter((s) => s.status === "signed").length,
        refused: status.signers.filter((s) => s.status === "refused").length,
        total: status.signers.length,
      });
    progress.replaceChildren(
      ...status.signers.map((signer) => {
        const item = element("li", `signer status-${signer.status}`);
        item.dataset.participant = String(signer.participant_id);
        item.append(element("strong", "", `${signer.name} (${t(`role.${signer.role}`)})`), " ", statusText(signer));
        if (signer.waiting_key) item.append(" ", waitingKey(signer));
        return item;
      }),
    );
    renderTranscript();
    const waiting = mine?.waiting_key;
    keyNote.hidden = !(locked && waiting && panel.key?.fingerprint === waiting && mine.status === "pending");
    if (!keyNote.hidden) keyNote.textContent = t("signing.key_waiting_you", { code: keyCode(waiting) });
    if (!locked || !maySign || !mine) {
      step(null);
      reading.hidden = true;
      return;
    }
    reading.hidden = !feed || mine.status !== "pending";
    if (mine.status === "pending") {
      if (!review.hidden || !refusal.hidden) return; // mid-way: keep the signer's place
      step("pad");
      return;
    }
    doneFacts.replaceChildren();
    if (mine.status === "signed") {
      doneText.textContent = t("signing.done_signed");
      fact(doneFacts, "signing.transcript_hash", status.transcript_sha256);
      fact(doneFacts, "signing.manifest_hash", mine.manifest_sha256);
      fact(doneFacts, "signing.time", formatTime(mine.at));
      fact(doneFacts, "signing.key", mine.key_fingerprint);
    } else {
      doneText.textContent = t("signing.done_refused", { reason: mine.reason });
      fact(doneFacts, "signing.time", formatTime(mine.at));
    }
    step("done");
  }

  function waitingKey(signer) {
    const box = element("span", "key-waiting", t("signing.key_waiting", { code: keyCode(signer.waiting_key) }));
    if (!mayAcceptKeys) return box;
    const accept = textKey("signing.accept_key", "button", "");
    accept.type = "button";
    accept.dataset.acceptKey = String(signer.participant_id);
    accept.setAttribute("aria-label", `${t("signing.accept_key")}: ${signer.name}`);
    accept.addEventListener("click", async () => {
      const question = t("signing.accept_key_confirm", { name: signer.name, code: keyCode(signer.waiting_key) });
      if (!window.confirm(question)) return;
      error.hidden = true;
      accept.disabled = true;
      try {
        await api("POST", `/api/hearings/${hearingId}/signer-keys/${signer.participant_id}/bind`, {
          fingerprint: signer.waiting_key,
        });
        refresh();
      } catch (err) {
        fail(err);
        accept.disabled = false;
      }
    });
    box.append(" ", accept);
    return box;
  }

  async function refresh() {
    try {
      panel.status = await api("GET", `/api/hearings/${hearingId}/signing`);
      render();
    } catch (err) {
      fail(err);
    }
  }

  sign.addEventListener("click", async () => {
    error.hidden = true;
    panel.busy = true;
    sign.disabled = true;
    try {
      panel.key = panel.key || (await ensureSignerKey(hearingId, participantId));
      const image = await signaturePad.png();
      const issued = await api("POST", `/api/hearings/${hearingId}/signing/manifest`, {
        key_fingerprint: panel.key.fingerprint, signature_image_sha256: await sha256Hex(image),
      });
      panel.manifest = { ...issued, image };
      reviewFacts.replaceChildren();
      fact(reviewFacts, "signing.transcript_hash", issued.transcript_sha256);
      fact(reviewFacts, "signing.time", formatTime(issued.signed_at));
      fact(reviewFacts, "signing.key", panel.key.fingerprint);
      step("review");
      confirm.focus();
    } catch (err) {
      fail(err);
    } finally {
      panel.busy = false;
      sign.disabled = signaturePad.strokes === 0;
    }
  });
  back.addEventListener("click", () => step("pad"));
  confirm.addEventListener("click", async () => {
    error.hidden = true;
    confirm.disabled = true;
    try {
      const { manifest, image } = panel.manifest;
      const signature = new Uint8Array(
        await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, panel.key.pair.privateKey,
          new TextEncoder().encode(manifest)),
      );
      panel.status = await api("POST", `/api/hearings/${hearingId}/signing/signatures`, {
        manifest, signature: base64(signature), signature_image: base64(image),
      });
      step(null);
      render();
    } catch (err) {
      fail(err);
      step("pad");
    } finally {
      confirm.disabled = false;
    }
  });
  refuse.addEventListener("click", () => {
    step("refuse");
    reason.focus();
  });
  refuseBack.addEventListener("click", () => step("pad"));
  refusal.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (!reason.value.trim()) {
      error.textContent = t("signing.need_reason");
      error.hidden = false;
      return;
    }
    try {
      panel.status = await api("POST", `/api/hearings/${hearingId}/signing/refusals`, { reason: reason.value });
      step(null);
      render();
    } catch (err) {
      fail(err);
    }
  });

  courtroom.socket.on(SERVER_EVENT.SIGNING, (status) => {
    panel.status = { ...status, you: participantId };
    render();
  });
  courtroom.socket.on(SERVER_EVENT.TRANSCRIPT_DELTA, (delta) => {
    if (/locked|unlocked|signed|correction|signature/.test(delta.kind)) refresh();
  });
  courtroom.addEventListener("connected", refresh);
  feed?.addEventListener("change", renderTranscript);
  if (maySign) {
    ensureSignerKey(hearingId, participantId).then((key) => {
      panel.key = key;
      render();
    }, fail);
  }
  refresh();
  return { refresh: () => render() };
}
