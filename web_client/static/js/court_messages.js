// Written messages in the courtroom (docs/signaling.md, `message`): the judge and clerk write to
// everyone connected, the waiting room included, or to one person; anyone else writes to the
// court (the judge and clerk). Every message is in the hearing's log.
import { formatTime, t } from "/static/js/i18n.js";
import { element, textKey } from "/static/js/transcript_view.js";

const MAX_CHARS = 500;

export function mountMessages({ courtroom, root, staff }) {
  const title = textKey("messages.title", "h2", "");
  title.id = "messages-title";
  const list = element("ol", "messages-list");
  list.setAttribute("aria-live", "polite");
  const form = element("form", "messages-form");
  let target = null;
  if (staff) {
    const label = textKey("messages.to", "label", "");
    target = element("select");
    target.id = "message-to";
    label.htmlFor = target.id;
    form.append(label, target);
  }
  const inputLabel = textKey(staff ? "messages.write" : "messages.write_court", "label", "");
  const input = element("textarea");
  input.id = "message-text";
  input.rows = 2;
  input.maxLength = MAX_CHARS;
  inputLabel.htmlFor = input.id;
  const send = textKey("messages.send", "button", "primary");
  send.type = "submit";
  form.append(inputLabel, input, send);
  root.replaceChildren(title, list, form);

  function audience(message) {
    if (message.audience === "everyone") return t("messages.to_everyone");
    if (message.audience === "court") return t("messages.to_court");
    const member = courtroom.room?.members.find((m) => m.participant_id === message.to);
    return t("messages.to_one", { name: member ? member.name : String(message.to) });
  }

  function renderTargets() {
    const chosen = target.value;
    const everyone = element("option", "", t("messages.to_everyone"));
    everyone.value = "";
    const people = (courtroom.room?.members || []).filter(
      (m) => m.participant_id !== courtroom.me && (m.status === "lobby" || m.status === "admitted"),
    );
    target.replaceChildren(everyone, ...people.map((member) => {
      const option = element("option", "", `${member.name} (${t(`role.${member.role}`)})`);
      option.value = String(member.participant_id);
      return option;
    }));
    if ([...target.options].some((o) => o.value === chosen)) target.value = chosen;
  }

  function render() {
    const messages = courtroom.messageList();
    list.replaceChildren(...messages.map((message) => {
      const item = element("li", `message audience-${message.audience}`);
      item.dataset.message = String(message.id);
      const head = element("p", "message-head");
      head.append(
        element("strong", "", `${message.from.name} (${t(`role.${message.from.role}`)})`),
        ` → ${audience(message)} · `,
        element("time", "", formatTime(message.at)),
      );
      item.append(head, element("p", "message-text", message.text));
      return item;
    }));
    if (!messages.length) list.replaceChildren(textKey("messages.none", "li", "subtle"));
    if (target) renderTargets();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    const data = { text };
    if (target?.value) data.to = Number(target.value);
    send.disabled = true;
    try {
      const reply = await courtroom.call("message", data); // a refusal shows as a notice
      if (reply.ok) input.value = "";
    } finally {
      send.disabled = false;
    }
  });
  courtroom.addEventListener("messages", render);
  courtroom.addEventListener("room", () => target && renderTargets());
  courtroom.addEventListener("connected", () => {
    root.hidden = false;
  });
  courtroom.addEventListener("ended", () => {
    root.hidden = true;
  });
  render();
  return { refresh: render };
}
