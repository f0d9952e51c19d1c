import { api, describeError } from "/static/js/api.js";
import { bindLanguageSwitch, loadLanguage, t } from "/static/js/i18n.js";

await loadLanguage();
bindLanguageSwitch();
document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const notice = document.getElementById("notice");
  try {
    await api("POST", "/api/auth/login", {
      username: document.getElementById("username").value.trim(),
      password: document.getElementById("password").value,
    });
    const next = new URLSearchParams(location.search).get("next");
    location.assign(next && next.startsWith("/staff/") ? next : "/staff");
  } catch (error) {
    notice.textContent = t("staff.failed", { message: describeError(error) });
    notice.hidden = false;
  }
});
