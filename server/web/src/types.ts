// Shapes of the query API (server → dashboard), plain JSON, no envelope. Every one comes from the
// server's TypeBox schemas, the same ones that validate, serialize and document the API, through
// type-only imports that are erased from the bundle: the page cannot drift from the API.
// Non-finite metric values travel as the strings "NaN", "Infinity", "-Infinity".
import type { Static } from '@fastify/type-provider-typebox';
import type { Whoami as WhoamiSchema } from '../../src/auth/token-schemas.js';
import type { HealthEventT, RunHealthT, WorkloadHealthAnswerT } from '../../src/health/schemas.js';
import type { HealthStatus } from '../../src/health/statuses.js';
import type { JsonNumber } from '../../src/http/non-finite.js';
import type { ConflictT, DetectionAnswerT, DetectionSourceT, IndicatorT, ReporterT } from '../../src/query/detection-schemas.js';
import type * as Q from '../../src/query/schemas.js';

export type { HealthStatus };
export type WireNumber = JsonNumber;

export type WorkloadRow = Static<typeof Q.WorkloadRow>;
export type WorkloadList = Static<typeof Q.WorkloadList>;
export type WorkloadSummary = Static<typeof Q.WorkloadDetail>;
export type RunRow = Static<typeof Q.RunRow>;
export type MetricSummary = Static<typeof Q.MetricSummary>;
export type SeriesResponse = Static<typeof Q.SeriesAnswer>;
export type WireSeries = SeriesResponse['series'][number];
export type WirePoint = Q.WirePoint;

export type Detection = DetectionAnswerT;
export type DetectionSource = DetectionSourceT;
export type SourceReporter = ReporterT;
export type Indicator = IndicatorT;
export type Conflict = ConflictT;
export type DetectionOverride = Q.DetectionOverrideT;

export type WorkloadHealth = WorkloadHealthAnswerT;
export type RunHealth = RunHealthT;
export type HealthEvent = HealthEventT;

/** GET /api/v1/whoami: the token this dashboard holds (or an open server). */
export type Whoami = Static<typeof WhoamiSchema>;
