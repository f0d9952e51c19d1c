// Staff home: the hearings this account may open, each with its courtroom link.
import { api } from "/static/js/api.js";
import { bindLanguageSwitch, formatTime, loadLanguage, t } from "/static/js/i18n.js";

async function render() {
  let list;
  try {
    list = await api("GET", "/api/hearings");
  } catch (error) {
    if (error.status === 401) return location.assign("/staff/login");
    throw error;
  }
  document.getElementById("hearings").replaceChildren(
    ...list.hearings.map((hearing) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `/staff/hearings/${hearing.id}/court`;
      link.textContent = `${hearing.case_number} ${hearing.title}`;
      item.append(link, ` — ${formatTime(hearing.scheduled_start)}, ${t(`state.${hearing.state}`)}`);
      return item;
    }),
  );
}

await loadLanguage();
bindLanguageSwitch(render);
document.getElementById("signout").addEventListener("click", async () => {
  await api("POST", "/api/auth/logout");
  location.assign("/staff/login");
});
await render();
