// Staff home: the day's hearings (filter by date and state), creating a hearing, managing one.
import { api, describeError, notice } from "/static/js/api.js";
import { hideInvitation, bindCopyButtons, refreshInvitation } from "/static/js/invitation.js";
import { bindLanguageSwitch, formatClock, formatDay, loadLanguage, t } from "/static/js/i18n.js";
import { bindParticipantForm, render as renderHearing, selectHearing } from "/static/js/hearing_admin.js";
import { render as renderAccounts, setupAccounts } from "/static/js/staff_accounts.js";

const page = { me: null, hearings: [] };

function pad(number) {
  return String(number).padStart(2, "0");
}

function localDateValue(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function localDateTimeValue(date) {
  return `${localDateValue(date)}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function chosenDay() {
  const [year, month, day] = document.getElementById("filter-date").value.split("-").map(Number);
  return new Date(year, month - 1, day);
}

// The API filters by UTC day; a local day overlaps at most two of them.
async function hearingsOfDay(day, state) {
  const start = day;
  const end = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1);
  const utcDays = new Set([start, new Date(end - 1)].map((d) => d.toISOString().slice(0, 10)));
  const byId = new Map();
  for (const utcDay of utcDays) {
    const query = new URLSearchParams({ date: utcDay });
    if (state) query.set("state", state);
    const reply = await api("GET", `/api/hearings?${query}`);
    for (const hearing of reply.hearings) byId.set(hearing.id, hearing);
  }
  return [...byId.values()]
    .filter((h) => new Date(h.scheduled_start) >= start && new Date(h.scheduled_start) < end)
    .sort((a, b) => a.scheduled_start.localeCompare(b.scheduled_start));
}

function hearingCard(hearing) {
  const item = document.createElement("li");
  item.dataset.hearing = String(hearing.id);
  const title = document.createElement("h2");
  title.textContent = `${hearing.case_number} ${hearing.title}`;
  const facts = document.createElement("p");
  facts.textContent = [
    formatClock(hearing.scheduled_start),
    hearing.courtroom,
    t(`state.${hearing.state}`),
  ].filter(Boolean).join(" · ");
  const manage = document.createElement("button");
  manage.type = "button";
  manage.textContent = t("staff.manage");
  manage.setAttribute("aria-label", `${t("staff.manage")}: ${hearing.case_number}`);
  manage.dataset.manage = String(hearing.id);
  manage.addEventListener("click", () => selectHearing(hearing.id).catch(showError));
  const court = document.createElement("a");
  court.className = "button";
  court.href = `/staff/hearings/${hearing.id}/court`;
  court.textContent = t("staff.open_court");
  court.setAttribute("aria-label", `${t("staff.open_court")}: ${hearing.case_number}`);
  const actions = document.createElement("div");
  actions.className = "buttons";
  actions.append(manage, court);
  item.append(title, facts, actions);
  return item;
}

function renderList() {
  document.getElementById("day-label").textContent = t("staff.count", {
    day: formatDay(chosenDay()),
    count: page.hearings.length,
  });
  const list = document.getElementById("hearings");
  if (!page.hearings.length) {
    const empty = document.createElement("li");
    empty.textContent = t("staff.none");
    list.replaceChildren(empty);
    return;
  }
  list.replaceChildren(...page.hearings.map(hearingCard));
}

async function loadList() {
  page.hearings = await hearingsOfDay(chosenDay(), document.getElementById("filter-state").value);
  renderList();
}

function showError(error) {
  notice(t("error.generic", { message: describeError(error) }));
}

function bindCreateForm() {
  const form = document.getElementById("create-form");
  const soon = new Date(Date.now() + 60 * 60 * 1000);
  soon.setMinutes(soon.getMinutes() < 30 ? 30 : 60, 0, 0);
  document.getElementById("h-start").value = localDateTimeValue(soon);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = {
      case_number: data.get("case_number").trim(),
      title: data.get("title").trim(),
      scheduled_start: new Date(data.get("scheduled_start")).toISOString(),
      expected_duration_minutes: Number(data.get("expected_duration_minutes")),
      is_public: data.get("is_public") === "on",
    };
    for (const key of ["cause_of_action", "courtroom", "clerk", "judge"]) {
      const value = (data.get(key) || "").trim();
      if (value) body[key] = value;
    }
    try {
      const created = await api("POST", "/api/hearings", body);
      notice(t("staff.created", { case_number: created.hearing.case_number }));
      document.getElementById("filter-date").value = localDateValue(
        new Date(created.hearing.scheduled_start),
      );
      await loadList();
      document.getElementById("create-panel").open = false;
      await selectHearing(created.hearing.id);
    } catch (error) {
      showError(error);
    }
  });
}

async function main() {
  await loadLanguage();
  const me = await api("GET", "/api/auth/session");
  if (me.kind !== "staff") {
    location.assign("/staff/login");
    return;
  }
  page.me = me;
  // An admin schedules for a judge; a judge schedules their own hearings.
  const judgeField = document.getElementById("h-judge-field");
  judgeField.hidden = me.role !== "admin";
  document.getElementById("h-judge").required = me.role === "admin";
  const who = document.getElementById("who");
  who.textContent = `${me.display_name || me.username} · ${t(`role.${me.role}`)}`;
  bindLanguageSwitch(() => {
    who.textContent = `${me.display_name || me.username} · ${t(`role.${me.role}`)}`;
    renderList();
    renderHearing();
    refreshInvitation();
    renderAccounts();
  });
  document.getElementById("signout").addEventListener("click", async () => {
    hideInvitation();
    await api("POST", "/api/auth/logout");
    location.assign("/staff/login");
  });
  document.getElementById("filter-date").value = localDateValue(new Date());
  document.getElementById("filter-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadList().catch(showError);
  });
  bindCreateForm();
  bindParticipantForm();
  bindCopyButtons();
  await loadList();
  await setupAccounts(me, { onError: showError, onNotice: notice });
}

main().catch(showError);
