// JSON parsing that also accepts the bare NaN / Infinity / -Infinity tokens Python's
// json.dumps writes. The original server rejected a whole batch for one such token.
// Strict JSON takes the fast path (one JSON.parse); only a body
// that fails it pays for the token-aware rewrite, which quotes the tokens so the rest of
// the server sees one spelling: the strings "NaN", "Infinity", "-Infinity".

const TOKENS = ['-Infinity', 'Infinity', 'NaN'] as const;

/** Characters that may legally precede a bare value in JSON (after whitespace). */
function isValueStart(prev: string): boolean {
  return prev === '' || prev === ':' || prev === ',' || prev === '[';
}

function isIdentChar(ch: string | undefined): boolean {
  return ch !== undefined && /[A-Za-z0-9_$]/.test(ch);
}

/**
 * Rewrites bare non-finite tokens outside strings into quoted strings. Returns null when
 * there was nothing to rewrite (so the caller reports the original parse error).
 */
export function quoteNonFiniteTokens(text: string): string | null {
  const parts: string[] = [];
  let copiedUpTo = 0;
  let lastSignificant = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i] as string;
    if (ch === '"') {
      // Skip the string, honouring backslash escapes.
      let j = i + 1;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === 92 /* \ */) j += 2;
        else if (c === 34 /* " */) break;
        else j += 1;
      }
      i = j + 1;
      lastSignificant = '"';
      continue;
    }
    if (ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t') {
      i += 1;
      continue;
    }
    if ((ch === 'N' || ch === 'I' || ch === '-') && isValueStart(lastSignificant)) {
      const token = TOKENS.find((t) => text.startsWith(t, i));
      if (token !== undefined && !isIdentChar(text[i + token.length])) {
        parts.push(text.slice(copiedUpTo, i), `"${token}"`);
        i += token.length;
        copiedUpTo = i;
        lastSignificant = '"';
        continue;
      }
    }
    lastSignificant = ch;
    i += 1;
  }
  if (parts.length === 0) return null;
  parts.push(text.slice(copiedUpTo));
  return parts.join('');
}

export class JsonSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

/** Parses JSON, tolerating Python's non-finite tokens outside strings. Throws JsonSyntaxError. */
export function parseLenientJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    const rewritten = quoteNonFiniteTokens(text);
    if (rewritten !== null) {
      try {
        return JSON.parse(rewritten);
      } catch {
        // fall through: report the error of the text the client actually sent
      }
    }
    throw new JsonSyntaxError((first as Error).message);
  }
}
