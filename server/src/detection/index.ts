// Framework detection: pure functions over report bodies. See README.md for the rules.

export type {
  Conflict, DetectionResult, DetectionStatus, Indicator, IndicatorKind, Layer, Reporter, SourceResult, WorkloadDetection,
} from './types.js';
export { DETECTOR_VERSION, detectFromMetricNames, detectFromReport } from './detect.js';
export { mergeWorkload, STATUS_THRESHOLDS } from './merge.js';
export { confidenceLabel } from './confidence.js';
export { metricsSource, sourceFromReport, sourceKey, userOverrideSource, type MetricsReporter, type UserOverride } from './sources.js';
export { FINGERPRINTS, MAX_FINGERPRINT_NAMES } from './rules-metrics.js';
export { CATALOGUE } from './catalogue.js';
