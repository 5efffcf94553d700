// Asks for a token when the page has none or the server refused it. The token is kept in
// sessionStorage like one that came in the URL.
import { h } from './dom.js';
import { saveToken } from './token.js';

export function tokenForm(message: string, onToken: () => void): HTMLElement {
  const input = h('input', {
    attrs: { id: 'token-input', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, placeholder: 'rl1.…' },
  });
  const form = h(
    'form',
    {
      class: 'token-form',
      on: {
        submit: (event) => {
          event.preventDefault();
          const token = input.value.trim();
          if (token === '') return;
          saveToken(token);
          onToken();
        },
      },
    },
    h('p', null, message),
    h('label', { attrs: { for: 'token-input' } }, 'Token'),
    h('div', { class: 'token-row' }, input, h('button', { attrs: { type: 'submit' } }, 'Use token')),
    h('p', { class: 'muted' }, 'Open the link the server printed at start, or ask for a token with POST /v1/tokens (scope read:*). Not the admin token: the page would have to put it into URLs. It is kept for this tab only.'),
  );
  return h('section', { class: 'panel token-panel' }, form);
}
