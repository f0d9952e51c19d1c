// JSON over fetch; errors become exceptions carrying the server's message.
import { t } from "/static/js/i18n.js";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
    this.fields = body?.error?.fields;
    this.reason = body?.error?.reason;
  }
}

export async function api(method, path, body) {
  const options = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export function show(id) {
  for (const section of document.querySelectorAll("[data-screen]")) {
    section.hidden = section.id !== id;
  }
  const heading = document.querySelector(`#${id} h1, #${id} h2`);
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

export function notice(text) {
  const node = document.getElementById("notice");
  node.textContent = text || "";
  node.hidden = !text;
}

// The reader's language when the string table knows the reason or code, else the server's text;
// then the fields it named ("title: required").
export function describeError(error) {
  const key = `error.${error.reason || error.code}`;
  const message = error.reason || error.code ? t(key) : key;
  const text = message === key ? error.message : message;
  const fields = error.fields ? Object.entries(error.fields) : [];
  if (!fields.length) return text;
  return `${text} (${fields.map(([name, why]) => `${name}: ${why}`).join("; ")})`;
}
