// The party's live transcript: a drawer on the hearing screen. Entries appear as the clerk
// commits them; a party taps an entry to propose a correction with a reason and sees what
// became of each request. Observers read only.
import { t } from "/static/js/i18n.js";
import { CORRECTING_ROLES } from "/static/js/protocol.js";
import { TranscriptFeed, orderedEntries } from "/static/js/transcript_feed.js";
import {
  KeyedList, element, entryBody, followEnd, stateLabel, statusLabel, textKey,
} from "/static/js/transcript_view.js";

function field(id, labelKey, tag = "textarea") {
  const label = textKey(labelKey, "label");
  label.htmlFor = id;
  const input = element(tag);
  input.id = id;
  input.rows = 3;
  input.required = true;
  return [label, input];
}

export function mountTranscriptPane({ courtroom, drawer, opener, role }) {
  const feed = new TranscriptFeed(courtroom);
  const mayCorrect = CORRECTING_ROLES.includes(role);
  const pane = { chosen: null };

  const title = textKey("transcript.title", "h2", "");
  title.id = "transcript-title";
  title.tabIndex = -1;
  const state = element("span", "transcript-state");
  const close = textKey("transcript.close", "button", "");
  close.type = "button";
  const head = element("div", "drawer-head");
  head.append(title, state, close);
  const hint = mayCorrect
    ? textKey("transcript.tap_hint", "p", "subtle")
    : textKey("transcript.read_only", "p", "subtle");
  const list = element("ol", "transcript-list");
  list.setAttribute("aria-live", "polite");
  list.setAttribute("aria-relevant", "additions");
  const scroller = element("div", "transcript-scroll");
  scroller.append(list);
  const empty = textKey("transcript.empty", "p", "subtle");

  const form = element("form", "correction-form");
  form.hidden = true;
  const formTitle = textKey("transcript.correct_title", "h3", "");
  const quote = element("blockquote", "entry-quote");
  const [proposedLabel, proposed] = field("correction-proposed", "transcript.proposed");
  const [reasonLabel, reason] = field("correction-reason", "transcript.reason");
  const submit = textKey("transcript.submit_correction", "button", "primary");
  submit.type = "submit";
  const cancel = textKey("transcript.cancel", "button", "");
  cancel.type = "button";
  const formStatus = element("p", "form-status");
  formStatus.setAttribute("role", "status");
  form.append(formTitle, quote, proposedLabel, proposed, reasonLabel, reason, submit, cancel, formStatus);

  const mineTitle = textKey("transcript.my_requests", "h3", "");
  const mine = element("ul", "my-corrections");
  mineTitle.hidden = !mayCorrect;
  mineTitle.tabIndex = -1;
  drawer.replaceChildren(head, hint, scroller, empty, form, mineTitle, mine);

  function openDrawer() {
    drawer.hidden = false;
    opener.setAttribute("aria-expanded", "true");
    title.focus();
    scroller.scrollTop = scroller.scrollHeight;
  }
  function closeDrawer() {
    drawer.hidden = true;
    opener.setAttribute("aria-expanded", "false");
    opener.focus();
  }
  opener.setAttribute("aria-controls", drawer.id);
  opener.setAttribute("aria-expanded", "false");
  opener.addEventListener("click", () => (drawer.hidden ? openDrawer() : closeDrawer()));
  close.addEventListener("click", closeDrawer);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !drawer.hidden) closeDrawer();
  });

  function choose(entry) {
    pane.chosen = entry.entry_id;
    quote.textContent = entry.text;
    proposed.value = entry.text;
    reason.value = "";
    formStatus.textContent = "";
    form.hidden = false;
    proposed.focus();
  }
  cancel.addEventListener("click", () => {
    form.hidden = true;
    pane.chosen = null;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!proposed.value.trim() || !reason.value.trim()) {
      formStatus.textContent = t("transcript.need_reason");
      return;
    }
    submit.disabled = true;
    try {
      const reply = await feed.send("transcript_correction", {
        entry_id: pane.chosen, proposed_text: proposed.value, reason: reason.value,
      });
      if (reply.ok) {
        form.hidden = true;
        pane.chosen = null;
        formStatus.textContent = "";
        mineTitle.focus();
      } else {
        formStatus.textContent = reply.error.message;
      }
    } finally {
      submit.disabled = false;
    }
  });

  const entries = new KeyedList(list, {
    key: (entry) => entry.entry_id,
    stamp: (entry) => `${entry.versions.length}|${Boolean(entry.deleted)}|${mayCorrect}`,
    build: (entry) => {
      const item = element("li", "entry");
      item.dataset.entry = String(entry.entry_id);
      if (mayCorrect && !entry.deleted) {
        const tap = element("button", "entry-button");
        tap.type = "button";
        tap.append(entryBody(entry));
        tap.addEventListener("click", () => choose(entry));
        item.append(tap);
      } else {
        item.append(entryBody(entry));
      }
      return item;
    },
  });
  const requests = new KeyedList(mine, {
    key: (c) => c.correction_id,
    stamp: (c) => c.status,
    build: (c) => {
      const item = element("li", `correction status-${c.status}`);
      item.dataset.correction = String(c.correction_id);
      const status = element("strong", "", statusLabel(c.status));
      item.append(status, " ", element("span", "", t("transcript.proposed_text", { text: c.proposed_text })));
      if (c.ruling_note) item.append(element("p", "subtle", t("transcript.ruling_note", { note: c.ruling_note })));
      return item;
    },
  });

  function render() {
    const model = feed.model;
    state.textContent = stateLabel(model.state);
    const shown = orderedEntries(model).filter((entry) => !entry.deleted);
    empty.hidden = shown.length > 0;
    followEnd(scroller, () => entries.render(shown));
    const myId = String(courtroom.me);
    requests.render([...model.corrections.values()].filter((c) => c.requester.id === myId));
  }
  feed.addEventListener("change", render);
  feed.attach();
  window.hearingTranscript = feed; // as window.hearingCall: the browser tests read the replica

  return {
    feed,
    // After a language switch: rebuild every line in the new language.
    refresh() {
      entries.clear();
      requests.clear();
      render();
    },
  };
}
