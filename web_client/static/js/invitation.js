// One issued invitation: link (copy), account + access code, QR image, texts, .ics download.
import { formatTime, t } from "/static/js/i18n.js";

let icsUrl = null;
let shown = null;

async function copyFrom(id) {
  const field = document.getElementById(id);
  const status = document.getElementById("copy-status");
  try {
    await navigator.clipboard.writeText(field.value);
  } catch {
    // Clipboard API refused (permissions): select the text so Ctrl+C works.
    field.select();
    status.textContent = t("invitation.copy_manual");
    return;
  }
  status.textContent = t("invitation.copied");
}

export function bindCopyButtons() {
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", () => copyFrom(button.dataset.copy));
  }
}

export function showInvitation(issued, hearing, { focus = true } = {}) {
  shown = { issued, hearing };
  const panel = document.getElementById("invitation-panel");
  const participant = issued.participant;
  const heading = document.getElementById("invitation-heading");
  heading.textContent = t("invitation.heading", {
    name: participant.display_name,
    role: t(`role.${participant.role}`),
  });
  document.getElementById("invitation-status").textContent = t("invitation.valid", {
    from: formatTime(issued.invitation.valid_from),
    until: formatTime(issued.invitation.valid_until),
  });
  document.getElementById("inv-link").value = issued.link;
  document.getElementById("inv-account").textContent = issued.account;
  document.getElementById("inv-code").textContent = issued.access_code;
  const qr = document.getElementById("inv-qr");
  qr.src = issued.qr_png;
  document.getElementById("inv-text-zh").value = issued.text["zh-CN"];
  document.getElementById("inv-text-en").value = issued.text.en;
  if (icsUrl) URL.revokeObjectURL(icsUrl);
  icsUrl = URL.createObjectURL(new Blob([issued.ics], { type: "text/calendar" }));
  const ics = document.getElementById("inv-ics");
  ics.href = icsUrl;
  ics.download = `hearing-${hearing.id}-${participant.id}.ics`;
  document.getElementById("copy-status").textContent = "";
  panel.hidden = false;
  if (focus) heading.focus();
}

export function refreshInvitation() {
  if (shown) showInvitation(shown.issued, shown.hearing, { focus: false });
}

export function hideInvitation() {
  document.getElementById("invitation-panel").hidden = true;
  if (icsUrl) URL.revokeObjectURL(icsUrl);
  icsUrl = null;
  shown = null;
}
