// One hearing in the staff page: facts, participants, adding parties, issuing/revoking invitations.
import { api, describeError, notice } from "/static/js/api.js";
import { formatTime, t } from "/static/js/i18n.js";
import { hideInvitation, showInvitation } from "/static/js/invitation.js";
import { ROLES, STAFF_ROLES } from "/static/js/protocol.js";

const selected = { hearing: null, participants: [], invitations: new Map() };

function fact(labelKey, value) {
  const term = document.createElement("dt");
  term.textContent = t(labelKey);
  const detail = document.createElement("dd");
  detail.textContent = value;
  return [term, detail];
}

function actionButton(labelKey, name, onClick, data) {
  const node = document.createElement("button");
  node.type = "button";
  node.textContent = t(labelKey);
  node.setAttribute("aria-label", `${t(labelKey)}: ${name}`);
  for (const [key, value] of Object.entries(data)) node.dataset[key] = value;
  node.addEventListener("click", onClick);
  return node;
}

async function issue(participant) {
  try {
    const issued = await api(
      "POST",
      `/api/hearings/${selected.hearing.id}/participants/${participant.id}/invitation`,
    );
    selected.invitations.set(participant.id, issued.invitation.status);
    render();
    showInvitation(issued, selected.hearing);
  } catch (error) {
    notice(t("error.generic", { message: describeError(error) }));
  }
}

async function revoke(participant) {
  try {
    const reply = await api(
      "DELETE",
      `/api/hearings/${selected.hearing.id}/participants/${participant.id}/invitation`,
    );
    selected.invitations.set(participant.id, reply.invitation.status);
    hideInvitation();
    render();
    notice(t("invitation.revoked", { name: participant.display_name }));
  } catch (error) {
    notice(t("error.generic", { message: describeError(error) }));
  }
}

function participantLine(participant) {
  const item = document.createElement("li");
  item.dataset.participant = String(participant.id);
  const text = document.createElement("span");
  const parts = [participant.display_name, t(`role.${participant.role}`)];
  const status = selected.invitations.get(participant.id);
  if (status) parts.push(t(`invitation.status.${status}`));
  text.textContent = parts.join(" · ");
  item.append(text);
  if (participant.is_staff) return item;
  const name = participant.display_name;
  const issued = status && status !== "revoked";
  item.append(
    actionButton(issued ? "invitation.reissue" : "invitation.issue", name, () => issue(participant), {
      issue: String(participant.id),
    }),
  );
  if (issued) {
    item.append(
      actionButton("invitation.revoke", name, () => revoke(participant), {
        revoke: String(participant.id),
      }),
    );
  }
  return item;
}

export function render() {
  const hearing = selected.hearing;
  if (!hearing) return;
  document.getElementById("hearing-heading").textContent = `${hearing.case_number} ${hearing.title}`;
  document.getElementById("hearing-facts").replaceChildren(
    ...fact("hearing.start", formatTime(hearing.scheduled_start)),
    ...fact("hearing.duration", String(hearing.expected_duration_minutes)),
    ...fact("hearing.courtroom", hearing.courtroom || "—"),
    ...fact("hearing.cause", hearing.cause_of_action || "—"),
    ...fact("hearing.state", t(`state.${hearing.state}`)),
  );
  document.getElementById("court-link").href = `/staff/hearings/${hearing.id}/court`;
  document.getElementById("participants").replaceChildren(
    ...selected.participants.map(participantLine),
  );
}

export async function selectHearing(hearingId) {
  if (selected.hearing?.id !== hearingId) {
    selected.invitations = new Map();
    hideInvitation();
  }
  const view = await api("GET", `/api/hearings/${hearingId}`);
  selected.hearing = view.hearing;
  selected.participants = view.participants;
  document.getElementById("hearing-panel").hidden = false;
  render();
  document.getElementById("hearing-heading").focus();
}

// Every role but the staff's (judge and clerk are assigned as accounts), from protocol.js.
function fillRoleOptions(select) {
  select.replaceChildren(...ROLES.filter((role) => !STAFF_ROLES.includes(role)).map((role) => {
    const option = document.createElement("option");
    option.value = role;
    option.dataset.i18n = `role.${role}`;
    option.textContent = t(`role.${role}`);
    return option;
  }));
}

export function bindParticipantForm() {
  const form = document.getElementById("participant-form");
  fillRoleOptions(document.getElementById("p-role"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { role: data.get("role"), display_name: data.get("display_name").trim() };
    for (const key of ["phone", "email"]) {
      const value = data.get(key).trim();
      if (value) body[key] = value;
    }
    try {
      const added = await api("POST", `/api/hearings/${selected.hearing.id}/participants`, body);
      selected.participants.push(added.participant);
      form.reset();
      render();
      notice(t("staff.participant_added", { name: added.participant.display_name }));
    } catch (error) {
      notice(t("error.generic", { message: describeError(error) }));
    }
  });
}
