// Turning the many spellings of a framework name into one catalogue name.

import { CATALOGUE, type Framework } from './catalogue.js';

/** lower-case, and `-`, `.`, spaces and `/` become `_` (PEP 503 style, so `megatron-core` = `megatron_core`). */
export function normaliseName(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .replace(/[\s\-./]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

const ALIASES = new Map<string, string>();
for (const f of CATALOGUE) {
  ALIASES.set(f.name, f.name);
  for (const alias of f.aliases) ALIASES.set(normaliseName(alias), f.name);
}

/** Values that appear in FRAMEWORK=… or config.framework but name nothing. */
const NOISE = new Set(['', 'none', 'null', 'unknown', 'true', 'false', 'default', 'auto', 'other', 'n_a', 'na']);
const SAFE_CUSTOM = /^[a-z0-9][a-z0-9_+]{0,63}$/;

export interface ResolvedName {
  name: string;
  framework: Framework | undefined;
}

/**
 * A declared name → catalogue entry; an uncatalogued but plausible name is kept as is
 * (a user's own framework is still information), anything else is dropped.
 */
export function resolveName(raw: unknown): ResolvedName | undefined {
  if (typeof raw !== 'string' || raw.length > 128) return undefined;
  const key = normaliseName(raw);
  if (NOISE.has(key)) return undefined;
  const known = ALIASES.get(key);
  if (known !== undefined) return { name: known, framework: CATALOGUE.find((f) => f.name === known) };
  return SAFE_CUSTOM.test(key) ? { name: key, framework: undefined } : undefined;
}

/** Only catalogue names; for places where a free-form value is too noisy (BACKEND, hints). */
export function resolveKnown(raw: unknown): Framework | undefined {
  return resolveName(raw)?.framework;
}

const PACKAGE_OWNERS = new Map<string, Framework>();
for (const f of CATALOGUE) for (const p of f.packages) PACKAGE_OWNERS.set(normaliseName(p), f);

export function frameworkOfPackage(distribution: string): Framework | undefined {
  return PACKAGE_OWNERS.get(normaliseName(distribution));
}

/** Whether a sys.modules name is `prefix` or one of its submodules. */
export function underModule(module: string, prefix: string): boolean {
  return module === prefix || module.startsWith(`${prefix}.`);
}

export interface ModuleMatch {
  framework: Framework;
  weight: number;
  /** The matching pattern says the module is loaded only when the framework is in use. */
  inUse: boolean;
}

/** All frameworks a sys.modules name belongs to, each with the weight its pattern gives. */
export function frameworksOfModule(module: string, defaultWeight: number): ModuleMatch[] {
  const found: ModuleMatch[] = [];
  for (const f of CATALOGUE) {
    let best = -1;
    let inUse = false;
    for (const pattern of f.modules) {
      if (underModule(module, pattern.prefix)) {
        best = Math.max(best, pattern.imported ?? defaultWeight);
        inUse ||= pattern.inUse === true;
      }
    }
    if (best >= 0) found.push({ framework: f, weight: best, inUse });
  }
  return found;
}

/** Words of a project name or tag: `Megatron-LM_llama70b` → megatron, lm, llama70b. */
export function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** A project word matches a token exactly, or starts with it when the token is long enough to be distinctive. */
export function wordMatches(word: string, token: string): boolean {
  return word === token || (token.length >= 6 && word.startsWith(token));
}
