// A /wandb/detection body of any vintage (v0.1, v0.2, ours) → one typed, bounded view.
// Nothing here decides anything; it only finds the fields and drops what has the wrong type.

import { asRecord, keysOf, own, ownRecord, ownString, type Rec, stringsOf } from './read.js';

export interface LegacyEntry {
  /** As written in the payload (e.g. `transformers_trainer`). */
  name: string;
  initialized: boolean;
  /** primus only: its configured backend. */
  baseFramework: string | undefined;
}

export interface Evidence {
  /** evidence.environment; key presence matters, so it is kept as a record. */
  env: Rec;
  config: Rec | undefined;
  project: string;
  tags: string[];
  /** Our exporter sends evidence.modules; its v0.2-shaped entries then come from sys.modules, not from imports. */
  ours: boolean;
  imported: string[];
  initialized: string[];
  /** evidence.modules.configured (ours): a base the running process is set up to use → how that was read. */
  configured: Array<{ name: string; detail: string }>;
  pytorchAvailable: boolean;
  /** Legacy pytorch.detected_modules keys that are true. */
  detectedModules: string[];
  /** Legacy pytorch.detected_modules keys that are false: read from sys.modules, so known not loaded. */
  absentModules: string[];
  /** A v0.2 body: its wrapper/base lists name every probed framework that was installed at all. */
  legacyProbed: boolean;
  legacyWrappers: LegacyEntry[];
  legacyBases: LegacyEntry[];
  packages: string[];
  hintNames: string[];
}

function legacyEntries(record: Rec | undefined): LegacyEntry[] {
  const entries: LegacyEntry[] = [];
  for (const name of keysOf(record)) {
    const entry = ownRecord(record, name);
    // v0.2 always sends `detected: true` for what it lists; a bare `true` is read the same way.
    const detected = entry === undefined ? own(record, name) === true : own(entry, 'detected') === true;
    if (!detected) continue;
    const base = ownString(entry, 'base_framework');
    entries.push({ name, initialized: own(entry, 'initialized') === true, baseFramework: base });
  }
  return entries;
}

/** Keys whose value is exactly `value` (the flags are booleans on the wire). */
function keysWith(record: Rec | undefined, value: boolean): string[] {
  return keysOf(record).filter((key) => own(record, key) === value);
}

/** `{name: "how it was read"}`; a bare `true` is kept with an empty detail. */
function configuredOf(record: Rec | undefined): Array<{ name: string; detail: string }> {
  const out: Array<{ name: string; detail: string }> = [];
  for (const name of keysOf(record)) {
    const value = own(record, name);
    if (typeof value === 'string') out.push({ name, detail: value });
    else if (value === true) out.push({ name, detail: '' });
  }
  return out;
}

export function readEvidence(report: unknown): Evidence {
  const body = asRecord(report);
  const evidence = ownRecord(body, 'evidence');
  const wandb = ownRecord(evidence, 'wandb');
  const pytorch = ownRecord(evidence, 'pytorch');
  const modules = ownRecord(evidence, 'modules');
  const software = ownRecord(evidence, 'software');
  const hints = ownRecord(body, 'hints');
  const tags = stringsOf(own(wandb, 'tags'));
  const detected = ownRecord(pytorch, 'detected_modules');
  const ours = modules !== undefined;
  return {
    env: ownRecord(evidence, 'environment') ?? {},
    config: ownRecord(wandb, 'config'),
    project: ownString(wandb, 'project') ?? '',
    tags,
    ours,
    imported: stringsOf(own(modules, 'imported')),
    initialized: keysWith(ownRecord(modules, 'initialized'), true),
    configured: configuredOf(ownRecord(modules, 'configured')),
    pytorchAvailable: own(pytorch, 'available') === true,
    detectedModules: keysWith(detected, true),
    absentModules: keysWith(detected, false),
    legacyProbed:
      !ours && (ownRecord(evidence, 'wrapper_frameworks') !== undefined || ownRecord(evidence, 'base_frameworks') !== undefined),
    legacyWrappers: legacyEntries(ownRecord(evidence, 'wrapper_frameworks')),
    legacyBases: legacyEntries(ownRecord(evidence, 'base_frameworks')),
    packages: keysOf(ownRecord(software, 'packages')),
    hintNames: [
      ...stringsOf(own(hints, 'wrapper_frameworks')),
      ...stringsOf(own(hints, 'base_frameworks')),
      ...stringsOf(own(hints, 'possible_frameworks')),
    ],
  };
}
