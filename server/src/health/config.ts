// The health part of the configuration: LENS_HEALTH (on/off), LENS_HEALTH_WEBHOOK_URL and
// every LENS_HEALTH_* threshold of thresholds.ts, validated with the rest at boot.
import { type Thresholds, thresholdsFromEnv } from './thresholds.js';

export interface HealthConfig {
  /** Off: no evaluation on ingest, no sweep; the health endpoints answer from what is stored. */
  enabled: boolean;
  thresholds: Thresholds;
  webhookUrl: string | null;
}

export function readHealthConfig(env: NodeJS.ProcessEnv, problems: string[]): HealthConfig {
  const raw = (env.LENS_HEALTH ?? '').trim().toLowerCase();
  let enabled = true;
  if (raw === 'off' || raw === 'false' || raw === '0') enabled = false;
  else if (!(raw === '' || raw === 'on' || raw === 'true' || raw === '1')) {
    problems.push(`LENS_HEALTH=${JSON.stringify(env.LENS_HEALTH)} must be on or off`);
  }
  const thresholds = thresholdsFromEnv(env, problems);
  const hook = (env.LENS_HEALTH_WEBHOOK_URL ?? '').trim();
  let webhookUrl: string | null = null;
  if (hook !== '') {
    let url: URL | null = null;
    try {
      url = new URL(hook);
    } catch {
      url = null;
    }
    if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      problems.push('LENS_HEALTH_WEBHOOK_URL must be an http:// or https:// URL');
    } else {
      webhookUrl = url.toString();
    }
  }
  return { enabled, thresholds, webhookUrl };
}
