// What the transcript panes share: labels, one entry's line, and a keyed list that updates in
// place (so a screen reader announces only what is new, and long transcripts stay fast).
import { t } from "/static/js/i18n.js";
import { clockTime } from "/static/js/transcript_feed.js";

export function stateLabel(state) {
  if (state === "locked_for_review") return t("transcript.state_locked");
  if (state === "signed") return t("transcript.state_signed");
  return t("transcript.state_drafting");
}

export function statusLabel(status) {
  if (status === "accepted") return t("transcript.status_accepted");
  if (status === "refused") return t("transcript.status_refused");
  return t("transcript.status_pending");
}

// "张三（原告）"; just the name when it already says the role ("审判员 李明").
export function speakerLabel(speaker) {
  const role = t(`role.${speaker.role}`);
  if (speaker.display_name.includes(role)) return speaker.display_name;
  return t("transcript.speaker", { name: speaker.display_name, role });
}

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// An element whose text is the string `key`; a language switch re-translates it (data-i18n).
export function textKey(key, tag = "span", className = "") {
  const node = element(tag, className, t(key));
  node.dataset.i18n = key;
  return node;
}

export function actionButton(labelKey, onClick, label) {
  const node = textKey(labelKey, "button", "small");
  node.type = "button";
  if (label) node.setAttribute("aria-label", label);
  node.addEventListener("click", onClick);
  return node;
}

// The visible content of one entry: time, speaker, text (and what happened to it).
export function entryBody(entry) {
  const body = element("span", "entry-body");
  const time = element("span", "entry-time", clockTime(entry.media_offset_ms));
  const speaker = element("span", "entry-speaker", speakerLabel(entry.speaker));
  const text = element(entry.deleted ? "del" : "span", "entry-text", entry.text);
  body.append(time, " ", speaker, t("transcript.colon"), text);
  if (entry.deleted) body.append(" ", element("span", "entry-flag", t("transcript.deleted")));
  else if (entry.versions.at(-1).cause === "correction") {
    body.append(" ", element("span", "entry-flag", t("transcript.corrected")));
  } else if (entry.versions.length > 1) body.append(" ", element("span", "entry-flag", t("transcript.edited")));
  return body;
}

// One <li> per key, in the given order; build(item) makes a node, called again when
// stamp(item) changes. Nodes are moved only when out of place.
export class KeyedList {
  constructor(listNode, { key, stamp, build }) {
    this.node = listNode;
    this.key = key;
    this.stamp = stamp;
    this.build = build;
    this.items = new Map(); // key -> {node, stamp}
  }

  render(items) {
    const seen = new Set();
    let previous = null;
    for (const item of items) {
      const key = this.key(item);
      seen.add(key);
      const stamp = this.stamp(item);
      let held = this.items.get(key);
      if (!held || held.stamp !== stamp) {
        const node = this.build(item);
        node.dataset.key = String(key);
        if (held) held.node.replaceWith(node);
        held = { node, stamp };
        this.items.set(key, held);
      }
      const wanted = previous ? previous.nextSibling : this.node.firstChild;
      if (wanted !== held.node) this.node.insertBefore(held.node, wanted);
      previous = held.node;
    }
    for (const [key, held] of this.items) {
      if (!seen.has(key)) {
        held.node.remove();
        this.items.delete(key);
      }
    }
  }

  clear() {
    this.node.replaceChildren();
    this.items.clear();
  }
}

// Keep a scrolled list at its end while new lines arrive, unless the reader scrolled up.
export function followEnd(scroller, update) {
  const atEnd = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  update();
  if (atEnd) scroller.scrollTop = scroller.scrollHeight;
}
