// Rules over what the process actually loaded (sys.modules, initialised flags), what the image
// has installed, and the client's hints. Loaded beats installed: that is the point of the split.

import type { Evidence, LegacyEntry } from './evidence.js';
import { indicator } from './indicator.js';
import { frameworkOfPackage, frameworksOfModule, resolveKnown } from './names.js';
import type { Indicator } from './types.js';
import { DECLARED, KIND_WEIGHT } from './weights.js';

/** Loaded modules; a module loaded only for a configured backend is its own signal (it shows use). */
function moduleIndicators(signal: string, modules: string[]): Indicator[] {
  const out: Indicator[] = [];
  for (const module of modules) {
    if (module.length > 200) continue;
    for (const { framework, weight, inUse } of frameworksOfModule(module, KIND_WEIGHT.imported)) {
      out.push(indicator(inUse ? 'backend_modules' : signal, framework, 'imported', weight, module));
    }
  }
  return out;
}

/** What the running process is set up to use, read from its own live objects (ours only). */
function configuredIndicators(configured: Evidence['configured']): Indicator[] {
  const out: Indicator[] = [];
  for (const { name, detail } of configured) {
    const f = name.length > 200 ? undefined : resolveKnown(name);
    if (f !== undefined) out.push(indicator('modules_configured', f, 'declared', DECLARED.runtimeConfigured, detail || name));
  }
  return out;
}

/** The module each v0.2 entry stands for, as the v0.1/v0.2 `detected_modules` flags name modules. */
const LEGACY_ENTRY_MODULE: Readonly<Record<string, string>> = {
  transformers_trainer: 'transformers.trainer',
  transformers: 'transformers',
  lightning: 'lightning',
  megatron: 'megatron',
  deepspeed: 'deepspeed',
  primus: 'primus',
  jax: 'jax',
};

function initializedIndicators(flags: string[]): Indicator[] {
  const out: Indicator[] = [];
  for (const flag of flags) {
    if (flag.length > 200) continue;
    for (const { framework } of frameworksOfModule(flag, KIND_WEIGHT.initialized)) {
      out.push(
        indicator('modules_initialized', framework, 'initialized', framework.initialized ?? KIND_WEIGHT.initialized, flag),
      );
    }
  }
  return out;
}

/**
 * The v0.2 `wrapper_frameworks` / `base_frameworks` entries. The original exporter filled them by
 * importing every candidate, so `detected` there only means installed, unless the same body's
 * sys.modules flags show the entry's own module loaded (then it is imported); `initialized: true`
 * proves use. Our exporter fills them from sys.modules, but also sends evidence.modules, which
 * the module rules already read, so for our reports only the initialised flags are used here.
 */
function legacyIndicators(ev: Evidence): Indicator[] {
  const out: Indicator[] = [];
  const entries: LegacyEntry[] = [...ev.legacyWrappers, ...ev.legacyBases];
  for (const entry of entries) {
    const f = resolveKnown(entry.name);
    if (f === undefined) continue;
    // The v0.1/v0.2 flags come from sys.modules: an entry whose own module is flagged was loaded.
    const module = LEGACY_ENTRY_MODULE[entry.name];
    const loaded = module !== undefined && ev.detectedModules.includes(module);
    if (entry.initialized) {
      out.push(
        indicator('import_detection', f, 'initialized', f.initialized ?? KIND_WEIGHT.initialized, `${entry.name}.initialized`),
      );
    } else if (!ev.ours && loaded) {
      const weight =
        frameworksOfModule(module, KIND_WEIGHT.imported).find((m) => m.framework === f)?.weight ?? KIND_WEIGHT.imported;
      out.push(indicator('import_detection', f, 'imported', weight, `${entry.name}.detected, detected_modules.${module}`));
    } else if (!ev.ours) {
      out.push(indicator('import_detection', f, 'installed', f.installed ?? KIND_WEIGHT.installed, `${entry.name}.detected`));
    }
    const base = entry.baseFramework === undefined ? undefined : resolveKnown(entry.baseFramework);
    if (base !== undefined && base.layer === 'base') {
      // Primus reads its backend from its loaded config: as good as the wrapper's own state.
      const kind = entry.initialized ? 'initialized' : 'declared';
      out.push(
        indicator('import_detection', base, kind, KIND_WEIGHT[kind], `${entry.name}.base_framework=${entry.baseFramework ?? ''}`),
      );
    }
  }
  return out;
}

function packageIndicators(packages: string[]): Indicator[] {
  const out: Indicator[] = [];
  for (const name of packages) {
    const f = name.length > 200 ? undefined : frameworkOfPackage(name);
    if (f !== undefined) out.push(indicator('installed_packages', f, 'installed', f.installed ?? KIND_WEIGHT.installed, name));
  }
  return out;
}

function hintIndicators(names: string[]): Indicator[] {
  const out: Indicator[] = [];
  for (const name of names) {
    const f = resolveKnown(name);
    if (f !== undefined) out.push(indicator('hints', f, 'hint', KIND_WEIGHT.hint, name));
  }
  return out;
}

export function runtimeIndicators(ev: Evidence): Indicator[] {
  const out = [
    ...moduleIndicators('modules_imported', ev.imported),
    ...initializedIndicators(ev.initialized),
    ...configuredIndicators(ev.configured),
    ...moduleIndicators('pytorch_modules', ev.detectedModules),
    ...legacyIndicators(ev),
    ...packageIndicators(ev.packages),
    ...hintIndicators(ev.hintNames),
  ];
  // The original's collector imported torch to fill `available`: installed, not in use.
  // Ours fills it only when torch is already loaded, and lists torch in modules.imported.
  const torch = resolveKnown('pytorch');
  if (ev.pytorchAvailable && !ev.ours && torch !== undefined) {
    out.push(indicator('pytorch_available', torch, 'installed', torch.installed ?? KIND_WEIGHT.installed, 'pytorch.available'));
  }
  return out;
}
