// The staff's transcript: the clerk's keyboard-first editor, and the judge's view of the same.
// Speaker quick keys: 1-9 = the participants in order, J = the judge (Alt+key anywhere, the bare
// key on an empty line); Enter commits (Shift+Enter for a new line). The entry is stamped with
// the hearing time at which typing began (`started_ms_ago`, see docs/signaling.md); the server
// attaches the current stage. Entries can be edited and deleted, correction requests accepted
// or refused, the record locked for review; the judge may unlock it (logged; signatures
// collected so far become invalid). Clicking an entry's time plays the recording from there.
import { api } from "/static/js/api.js";
import { t } from "/static/js/i18n.js";
import { PARTY_ROLES, ROLE } from "/static/js/protocol.js";
import { RecordingPlayer } from "/static/js/recording_player.js";
import { TranscriptFeed, clockTime, orderedEntries } from "/static/js/transcript_feed.js";
import {
  KeyedList, actionButton, element, entryBody, followEnd, speakerLabel, stateLabel, statusLabel,
  textKey,
} from "/static/js/transcript_view.js";

// Judge first ("J"), then up to nine others in the hearing's order (1-9).
export function speakerKeys(participants) {
  const judge = participants.find((p) => p.role === ROLE.JUDGE);
  const others = participants.filter((p) => PARTY_ROLES.includes(p.role)).slice(0, 9);
  const keys = others.map((p, index) => ({ key: String(index + 1), participant: p }));
  if (judge) keys.unshift({ key: "J", participant: judge });
  return keys;
}

function labelled(id, labelKey, tag = "textarea") {
  const label = textKey(labelKey, "label");
  label.htmlFor = id;
  const input = element(tag);
  input.id = id;
  if (tag === "textarea") input.rows = 2;
  return [label, input];
}

export async function mountTranscriptEditor({ courtroom, root, hearingId, role }) {
  const feed = new TranscriptFeed(courtroom);
  const isJudge = role === ROLE.JUDGE;
  const compose = role === ROLE.CLERK;
  const { participants } = await api("GET", `/api/hearings/${hearingId}/participants`);
  const keys = speakerKeys(participants);
  const ui = { speaker: null, startedAt: null };
  const live = element("p", "visually-hidden");
  live.setAttribute("role", "status");

  // -- head: title, state, lock / unlock, exports --------------------------------------------
  const title = textKey("transcript.title", "h2", "");
  title.id = "transcript-title";
  const state = element("p", "transcript-state");
  const lock = actionButton("transcript.lock", async () => {
    const reply = await feed.send("transcript_lock", {});
    if (reply.ok) live.textContent = t("transcript.locked_now");
  });
  lock.id = "transcript-lock";
  const unlockBox = element("div", "unlock");
  const [unlockLabel, unlockReason] = labelled("transcript-unlock-reason", "transcript.unlock_reason", "input");
  const unlock = actionButton("transcript.unlock", async () => {
    if (!unlockReason.value.trim()) {
      live.textContent = t("transcript.need_reason");
      unlockReason.focus();
      return;
    }
    const reply = await feed.send("transcript_unlock", { reason: unlockReason.value });
    if (reply.ok) unlockReason.value = "";
  });
  unlock.id = "transcript-unlock";
  unlockBox.append(unlockLabel, unlockReason, textKey("transcript.unlock_hint", "p", "subtle"), unlock);
  const exports = element("p", "buttons exports");
  for (const [format, link] of [
    ["pdf", textKey("transcript.export_pdf", "a", "button")],
    ["txt", textKey("transcript.export_txt", "a", "button")],
    ["vtt", textKey("transcript.export_vtt", "a", "button")],
    ["json", textKey("transcript.export_json", "a", "button")],
  ]) {
    link.href = `/api/hearings/${hearingId}/transcript.${format}`;
    link.setAttribute("download", "");
    exports.append(link);
  }

  // -- the player ------------------------------------------------------------------------------
  const video = element("video", "transcript-player");
  video.controls = true;
  video.hidden = true;
  video.playsInline = true;
  video.setAttribute("aria-label", t("transcript.player"));
  const audio = element("audio");
  audio.hidden = true;
  const playStatus = element("p", "subtle play-status");
  playStatus.setAttribute("role", "status");
  const player = new RecordingPlayer({ hearingId, video, audio });
  player.judgeId = keys.find((k) => k.key === "J")?.participant.id ?? null;
  player.addEventListener("status", (event) => {
    playStatus.textContent = t(event.detail.key, event.detail.values);
  });
  window.hearingPlayer = player;

  // -- entries ---------------------------------------------------------------------------------
  const list = element("ol", "transcript-list staff");
  const scroller = element("div", "transcript-scroll");
  scroller.append(list);
  const editing = new Set(); // entry ids with an open edit or delete form

  function editForm(entry, item, mode) {
    editing.add(entry.entry_id);
    const form = element("form", "entry-form");
    const id = `entry-${entry.entry_id}-${mode}`;
    const [label, input] = labelled(id, mode === "edit" ? "transcript.edit_text" : "transcript.delete_reason");
    if (mode === "edit") input.value = entry.text;
    const save = mode === "edit"
      ? textKey("transcript.save", "button", "small")
      : textKey("transcript.confirm_delete", "button", "small");
    save.type = "submit";
    const back = () => {
      editing.delete(entry.entry_id);
      form.remove();
      item.querySelector(".entry-actions button")?.focus();
    };
    const cancel = actionButton("transcript.cancel", back);
    form.append(label, input, save, cancel);
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") back();
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.target === input) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!input.value.trim()) return;
      const reply = mode === "edit"
        ? await feed.send("transcript_edit", { entry_id: entry.entry_id, text: input.value })
        : await feed.send("transcript_delete", { entry_id: entry.entry_id, reason: input.value });
      if (reply.ok) {
        editing.delete(entry.entry_id);
        form.remove();
      }
    });
    item.append(form);
    input.focus();
  }

  const entries = new KeyedList(list, {
    key: (entry) => entry.entry_id,
    stamp: (entry) => `${entry.versions.length}|${Boolean(entry.deleted)}|${feed.model.state}`,
    build: (entry) => {
      editing.delete(entry.entry_id); // a form open on the old line goes with it
      const item = element("li", "entry");
      item.dataset.entry = String(entry.entry_id);
      const body = entryBody(entry);
      const play = element("button", "small play", `▶ ${clockTime(entry.media_offset_ms)}`);
      play.type = "button";
      play.setAttribute("aria-label", t("transcript.play_from", { time: clockTime(entry.media_offset_ms) }));
      play.addEventListener("click", () => player.playAt(entry.media_offset_ms, entry.speaker.participant_id));
      const actions = element("span", "entry-actions");
      actions.append(play);
      if (!entry.deleted && feed.model.state === "drafting") {
        const what = entry.text.slice(0, 40);
        actions.append(
          actionButton("transcript.edit", () => editForm(entry, item, "edit"), `${t("transcript.edit")}: ${what}`),
          actionButton("transcript.delete", () => editForm(entry, item, "delete"), `${t("transcript.delete")}: ${what}`),
        );
      }
      item.append(body, actions);
      return item;
    },
  });

  // -- the correction queue --------------------------------------------------------------------
  const queueTitle = textKey("transcript.queue", "h3", "");
  const queue = element("ul", "correction-queue");
  const queueEmpty = textKey("transcript.queue_empty", "p", "subtle");
  const requests = new KeyedList(queue, {
    key: (c) => c.correction_id,
    stamp: (c) => `${c.status}|${feed.model.state}`,
    build: (c) => {
      const item = element("li", `correction status-${c.status}`);
      item.dataset.correction = String(c.correction_id);
      const entry = feed.model.entries.get(c.entry_id);
      const who = participants.find((p) => String(p.id) === c.requester.id);
      item.append(
        element("strong", "", `${statusLabel(c.status)} · ${who ? speakerLabel({ display_name: who.display_name, role: who.role }) : c.requester.id}`),
        element("p", "", t("transcript.current_text", { text: entry ? entry.text : "" })),
        element("p", "", t("transcript.proposed_text", { text: c.proposed_text })),
        element("p", "", t("transcript.reason_text", { text: c.reason })),
      );
      if (c.status !== "pending") {
        if (c.ruling_note) item.append(element("p", "subtle", t("transcript.ruling_note", { note: c.ruling_note })));
        return item;
      }
      const noteId = `ruling-${c.correction_id}`;
      const [label, note] = labelled(noteId, "transcript.ruling", "input");
      const accept = actionButton("transcript.accept", async () => {
        await feed.send("transcript_rule", { correction_id: c.correction_id, accept: true, note: note.value || undefined });
      }, `${t("transcript.accept")}: ${c.proposed_text.slice(0, 40)}`);
      accept.dataset.accept = String(c.correction_id);
      accept.disabled = feed.model.state !== "drafting";
      const refuse = actionButton("transcript.refuse", async () => {
        if (!note.value.trim()) {
          live.textContent = t("transcript.need_ruling");
          note.focus();
          return;
        }
        await feed.send("transcript_rule", { correction_id: c.correction_id, accept: false, note: note.value });
      }, `${t("transcript.refuse")}: ${c.proposed_text.slice(0, 40)}`);
      refuse.dataset.refuse = String(c.correction_id);
      item.append(label, note, accept, refuse);
      return item;
    },
  });

  // -- the composer (clerk) --------------------------------------------------------------------
  const composer = element("form", "composer");
  const speakers = element("fieldset", "speakers");
  const legend = textKey("transcript.speaker_keys", "legend", "");
  speakers.append(legend);
  const radios = new Map();
  for (const { key, participant } of keys) {
    const id = `speaker-${participant.id}`;
    const radio = element("input");
    radio.type = "radio";
    radio.name = "speaker";
    radio.id = id;
    radio.value = String(participant.id);
    radio.dataset.key = key;
    radio.addEventListener("change", () => {
      ui.speaker = participant.id;
    });
    const label = element("label", "speaker-choice");
    label.htmlFor = id;
    label.append(element("kbd", "", key), " ", speakerLabel({ display_name: participant.display_name, role: participant.role }));
    const wrap = element("span", "check");
    wrap.append(radio, label);
    speakers.append(wrap);
    radios.set(key, radio);
  }
  const stageLine = element("p", "subtle");
  const [inputLabel, input] = labelled("transcript-input", "transcript.input");
  input.setAttribute("aria-describedby", "transcript-keys-hint");
  input.autocomplete = "off";
  const keysHint = textKey("transcript.keys_hint", "p", "subtle");
  keysHint.id = "transcript-keys-hint";
  const commit = textKey("transcript.commit", "button", "");
  commit.type = "submit";
  commit.id = "transcript-commit";
  composer.append(speakers, stageLine, inputLabel, input, keysHint, commit);

  function pickSpeaker(key) {
    const radio = radios.get(key.toUpperCase());
    if (!radio) return false;
    radio.checked = true;
    ui.speaker = Number(radio.value);
    live.textContent = t("transcript.speaker_now", { name: radio.labels[0].textContent.slice(2) });
    return true;
  }
  input.addEventListener("keydown", (event) => {
    if (event.isComposing || event.ctrlKey || event.metaKey) return;
    const key = event.code.startsWith("Digit") ? event.code.slice(5) : event.code === "KeyJ" ? "J" : null;
    if (key && key !== "0" && (event.altKey || (!input.value && !event.shiftKey))) {
      if (pickSpeaker(key)) event.preventDefault();
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !event.altKey) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  input.addEventListener("input", () => {
    if (!input.value) ui.startedAt = null;
    else if (ui.startedAt === null) ui.startedAt = performance.now();
  });
  composer.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    if (ui.speaker === null) {
      live.textContent = t("transcript.need_speaker");
      return;
    }
    const startedAt = ui.startedAt ?? performance.now();
    // Cleared at once, not when the server answers: the clerk goes on typing the next entry
    // (its speaker key needs the empty line). A refused entry comes back if the line is free.
    input.value = "";
    ui.startedAt = null;
    const reply = await feed.send("transcript_add", {
      speaker_participant_id: ui.speaker, text,
      started_ms_ago: Math.max(0, Math.round(performance.now() - startedAt)),
    });
    if (!reply.ok && !input.value) {
      input.value = text;
      ui.startedAt = startedAt;
    }
  });

  // -- layout ----------------------------------------------------------------------------------
  const head = element("div", "transcript-head");
  head.append(title, state);
  const tools = element("div", "buttons");
  tools.append(lock);
  root.replaceChildren(head, tools, exports, video, audio, playStatus, scroller);
  if (compose) root.append(composer);
  root.append(queueTitle, queueEmpty, queue);
  if (isJudge) root.append(unlockBox);
  root.append(live);

  function render() {
    const model = feed.model;
    const pending = [...model.corrections.values()].filter((c) => c.status === "pending").length;
    state.textContent = t("transcript.state_line", { state: stateLabel(model.state), count: model.entries.size, pending });
    lock.hidden = model.state !== "drafting";
    unlockBox.hidden = model.state !== "locked_for_review";
    composer.hidden = model.state !== "drafting";
    followEnd(scroller, () => entries.render(orderedEntries(model)));
    const corrections = [...model.corrections.values()].sort(
      (a, b) => (a.status === "pending" ? 0 : 1) - (b.status === "pending" ? 0 : 1) || a.correction_id - b.correction_id,
    );
    requests.render(corrections);
    queueEmpty.hidden = corrections.length > 0;
  }
  function renderStage(room) {
    stageLine.textContent = t("transcript.stage_now", {
      stage: room?.stage ? t(`stage.${room.stage}`) : t("stage.identity_check"),
    });
  }
  feed.addEventListener("change", render);
  courtroom.addEventListener("room", (event) => renderStage(event.detail));
  renderStage(courtroom.room);
  feed.attach();
  window.hearingTranscript = feed; // as window.hearingCall: the browser tests read the replica
  render();
  return {
    feed,
    player,
    refresh() {
      entries.clear();
      requests.clear();
      renderStage(courtroom.room);
      render();
    },
  };
}
