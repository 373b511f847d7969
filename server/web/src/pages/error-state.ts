// The error state: what failed, why, a retry, and a token form when the server asks for one.
import { ApiError, saveToken } from '../api.js';
import { h, stateBox } from '../dom.js';

export function errorState(title: string, err: unknown, retry: () => void): HTMLElement {
  const message = err instanceof Error ? err.message : String(err);
  const retryButton = h('button', { class: 'btn', on: { click: retry } }, 'Retry');
  if (err instanceof ApiError && (err.needsToken || err.forbidden)) {
    // No name attribute: even if the submit handler never ran, the token could not end up in a URL.
    const input = h('input', {
      type: 'password',
      class: 'input',
      placeholder: 'API token',
      'aria-label': 'API token',
      autocomplete: 'off',
    });
    const form = h(
      'form',
      {
        class: 'token-form',
        on: {
          submit: (event) => {
            event.preventDefault();
            saveToken(input.value.trim());
            retry();
          },
        },
      },
      input,
      h('button', { class: 'btn btn-primary', type: 'submit' }, 'Use token'),
    );
    const why = err.forbidden
      ? `This token cannot be used here: ${err.serverMessage}. Enter a read token.`
      : err.tokenRejected
        ? `Token rejected: ${err.serverMessage.replace(/^token rejected: /, '')}. Enter another token.`
        : 'This server requires an API token: a read token for your namespaces (ask your platform team), or an admin token.';
    return stateBox('error', title, why, form);
  }
  return stateBox('error', title, message, retryButton);
}
