// Staff accounts (admins only): list, create, deactivate/reactivate, set a new password.
import { api } from "/static/js/api.js";
import { t } from "/static/js/i18n.js";

const accounts = { me: null, list: [], resetting: null, onError: () => {} };

function label(user) {
  return user.display_name && user.display_name !== user.username
    ? `${user.display_name} (${user.username})`
    : user.username;
}

function actionButton(text, name, data, handler) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = text;
  button.setAttribute("aria-label", `${text}: ${name}`);
  Object.assign(button.dataset, data);
  button.addEventListener("click", () => handler().catch(accounts.onError));
  return button;
}

async function change(user, body) {
  const reply = await api("PATCH", `/api/staff/${user.id}`, body);
  accounts.onNotice(t("accounts.changed", { name: label(reply.staff) }));
  await load();
}

function row(user) {
  const item = document.createElement("li");
  item.dataset.account = String(user.id);
  const text = document.createElement("span");
  const mine = user.id === accounts.me.user_id ? ` ${t("accounts.you")}` : "";
  const status = t(user.active ? "accounts.active" : "accounts.inactive");
  text.textContent = `${label(user)}${mine} · ${t(`role.${user.role}`)} · ${status}`;
  item.append(text);
  if (user.id === accounts.me.user_id) return item;
  const name = label(user);
  const buttons = document.createElement("div");
  buttons.className = "buttons";
  buttons.append(
    user.active
      ? actionButton(t("accounts.deactivate"), name, { deactivate: user.id }, () =>
          change(user, { active: false }))
      : actionButton(t("accounts.activate"), name, { activate: user.id }, () =>
          change(user, { active: true })),
    actionButton(t("accounts.reset"), name, { reset: user.id }, async () => openReset(user)),
  );
  item.append(buttons);
  return item;
}

function openReset(user) {
  accounts.resetting = user;
  const form = document.getElementById("reset-form");
  form.hidden = false;
  const heading = document.getElementById("reset-heading");
  heading.textContent = t("accounts.reset.heading", { name: label(user) });
  document.getElementById("reset-password").value = "";
  document.getElementById("reset-password").focus();
}

function closeReset() {
  accounts.resetting = null;
  document.getElementById("reset-form").hidden = true;
}

export function render() {
  if (!accounts.me) return;
  document.getElementById("accounts").replaceChildren(...accounts.list.map(row));
  if (accounts.resetting) {
    document.getElementById("reset-heading").textContent = t("accounts.reset.heading", {
      name: label(accounts.resetting),
    });
  }
}

async function load() {
  accounts.list = (await api("GET", "/api/staff")).staff;
  render();
}

export async function setupAccounts(me, { onError, onNotice }) {
  if (me.role !== "admin") return;
  Object.assign(accounts, { me, onError, onNotice });
  document.getElementById("accounts-panel").hidden = false;
  const form = document.getElementById("account-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = {
      username: data.get("username").trim(),
      role: data.get("role"),
      password: data.get("password"),
    };
    const name = data.get("display_name").trim();
    if (name) body.display_name = name;
    try {
      const reply = await api("POST", "/api/staff", body);
      form.reset();
      onNotice(t("accounts.created", { name: label(reply.staff) }));
      await load();
    } catch (error) {
      onError(error);
    }
  });
  document.getElementById("reset-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const user = accounts.resetting;
    try {
      await change(user, { password: document.getElementById("reset-password").value });
      closeReset();
    } catch (error) {
      onError(error);
    }
  });
  document.getElementById("reset-cancel").addEventListener("click", closeReset);
  await load();
}
