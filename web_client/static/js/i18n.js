// Strings come from /i18n/<lang>.json (web_client/i18n/); Chinese where the browser prefers it.
const SUPPORTED = ["zh-CN", "en"];
let dictionary = {};
let current = "en";

export function preferredLanguage() {
  const saved = localStorage.getItem("hs-lang");
  if (SUPPORTED.includes(saved)) return saved;
  const wanted = navigator.languages || [navigator.language || "en"];
  return wanted.some((l) => l.toLowerCase().startsWith("zh")) ? "zh-CN" : "en";
}

export async function loadLanguage(lang = preferredLanguage()) {
  const response = await fetch(`/i18n/${lang}.json`);
  dictionary = await response.json();
  current = lang;
  document.documentElement.lang = lang;
  applyTranslations();
}

export function t(key, values = {}) {
  const text = dictionary[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_m, name) => String(values[name] ?? ""));
}

export function language() {
  return current;
}

export function applyTranslations(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-label]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  }
  for (const node of root.querySelectorAll("[data-i18n-alt]")) {
    node.setAttribute("alt", t(node.dataset.i18nAlt));
  }
  document.title = t(document.body.dataset.titleKey || "app.name");
  const switcher = document.getElementById("lang-switch");
  if (switcher) {
    // The button names the other language in that language.
    switcher.lang = current === "zh-CN" ? "en" : "zh-CN";
    switcher.setAttribute("aria-label", `${t("lang.label")}: ${t("lang.switch")}`);
  }
}

export function formatTime(iso) {
  return new Intl.DateTimeFormat(current, { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(iso),
  );
}

export function formatClock(iso) {
  return new Intl.DateTimeFormat(current, { timeStyle: "short" }).format(new Date(iso));
}

export function formatDay(date) {
  return new Intl.DateTimeFormat(current, { dateStyle: "full" }).format(date);
}

export function bindLanguageSwitch(onChange) {
  const button = document.getElementById("lang-switch");
  if (!button) return;
  button.addEventListener("click", async () => {
    const next = current === "zh-CN" ? "en" : "zh-CN";
    localStorage.setItem("hs-lang", next);
    await loadLanguage(next);
    if (onChange) onChange();
  });
  button.dataset.ready = "true"; // the page's language is loaded and the switch works
}
