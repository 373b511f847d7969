// The error state: what failed, why, a retry, and a token form when the server asks for one.
import { ApiError, saveToken } from "../api.js";
import { h, stateBox } from "../dom.js";

export function errorState(title: string, err: unknown, retry: () => void): HTMLElement {
  const message = err instanceof Error ? err.message : String(err);
  const retryButton = h("button", { class: "btn", on: { click: retry } }, "Retry");
  if (err instanceof ApiError && err.needsToken) {
    const input = h("input", { type: "password", class: "input", placeholder: "API token", "aria-label": "API token" });
    const form = h("form", { class: "token-form", on: { submit: (event) => {
      event.preventDefault();
      saveToken(input.value.trim());
      retry();
    } } }, input, h("button", { class: "btn btn-primary", type: "submit" }, "Use token"));
    const why = err.tokenRejected
      ? "Token rejected: the saved API token is not this server's LENS_API_TOKEN. Enter the right one."
      : "This server requires an API token (LENS_API_TOKEN).";
    return stateBox("error", title, why, form);
  }
  return stateBox("error", title, message, retryButton);
}
