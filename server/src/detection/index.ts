// Framework detection: pure functions over report bodies. See README.md for the rules.

export { CATALOGUE } from './catalogue.js';
export { confidenceLabel } from './confidence.js';
export { DETECTOR_VERSION, detectFromMetricNames, detectFromReport } from './detect.js';
export { mergeWorkload, STATUS_THRESHOLDS } from './merge.js';
export { FINGERPRINTS, MAX_FINGERPRINT_NAMES } from './rules-metrics.js';
export {
  type MetricsReporter,
  metricsSource,
  sourceFromReport,
  sourceKey,
  type UserOverride,
  userOverrideSource,
} from './sources.js';
export type {
  Conflict,
  DetectionResult,
  DetectionStatus,
  Indicator,
  IndicatorKind,
  Layer,
  Reporter,
  SourceResult,
  WorkloadDetection,
} from './types.js';
