// The closed catalogue of errors this server answers with, and the two ways of rendering
// them. Each route plugin installs the handler of its shape: ingest answers in the original's
// envelope ({meta, data}) because its clients parse it (`useEnvelopeErrors`); every other
// route answers plain JSON ({error, code, …}), the app-wide default (`registerErrorHandling`).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StoreSaturatedError, StoreUnavailableError } from './store/types.js';

export interface FieldError {
  /** JSON pointer into the request part, e.g. "/metrics/3/value". */
  path: string;
  message: string;
}

export type ErrorCode =
  | 'INVALID_JSON'
  | 'INVALID_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'OVERLOADED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export class LensError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly statusCode: number,
    message: string,
    readonly fieldErrors: FieldError[] = [],
    /** Extra top-level keys of the plain error body (e.g. workload_uid on a 404). */
    readonly extra: Record<string, unknown> = {},
    readonly retryAfterSeconds: number | null = null,
    /** Response headers that belong to the error (e.g. WWW-Authenticate on a 401). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'LensError';
  }
}

/** Cap on listed field errors, so a 10 MB body of bad items cannot produce a 100 MB answer. */
export const MAX_LISTED_ERRORS = 200;

export const errors = {
  invalidJson: (detail: string) => new LensError('INVALID_JSON', 400, `request body is not valid JSON: ${detail}`),
  undecodable: (encoding: string, detail: string) =>
    new LensError('INVALID_JSON', 400, `request body is not valid JSON: could not decompress the ${encoding} body (${detail})`),
  invalidRequest: (fieldErrors: FieldError[]) =>
    new LensError('INVALID_REQUEST', 400, 'invalid request', fieldErrors.slice(0, MAX_LISTED_ERRORS)),
  // No token and a wrong one are fixed in different places (add the setting, or correct its
  // value), so each gets its own message, and RFC 6750's invalid_token for the wrong one.
  tokenMissing: () =>
    new LensError('UNAUTHORIZED', 401, 'this server requires an API token (Authorization: Bearer <token>)', [], {}, null, {
      'www-authenticate': 'Bearer',
    }),
  /** `why`: "it is not a token this server knows", "it was revoked", "it expired at …". */
  tokenRejected: (why = 'it is not a token this server knows') =>
    new LensError('UNAUTHORIZED', 401, `token rejected: ${why}`, [], {}, null, {
      'www-authenticate': 'Bearer error="invalid_token"',
    }),
  /** A valid token outside its scope or namespaces; the message names what would be needed. */
  forbidden: (message: string) => new LensError('FORBIDDEN', 403, message),
  rateLimited: (retryAfterSeconds: number, limit: number) =>
    new LensError(
      'RATE_LIMITED',
      429,
      `more than ${limit} ingest requests per second from this token (or address); retry later`,
      [],
      {},
      retryAfterSeconds,
    ),
  workloadNotFound: (workloadUid: string) =>
    new LensError('NOT_FOUND', 404, 'workload not found', [], { workload_uid: workloadUid }),
  detectionNotFound: (workloadUid: string) =>
    new LensError('NOT_FOUND', 404, 'no framework detection for this workload yet', [], { workload_uid: workloadUid }),
  tokenNotFound: (id: string) => new LensError('NOT_FOUND', 404, 'no token with this id', [], { token_id: id }),
  routeNotFound: (method: string, url: string) =>
    new LensError('NOT_FOUND', 404, `route ${method} ${url.split('?')[0] ?? ''} not found`),
  bodyTooLarge: (limitBytes: number) =>
    new LensError('BODY_TOO_LARGE', 413, `request body exceeds ${limitBytes} bytes (after decompression)`),
  unsupportedMediaType: (what: string) =>
    new LensError(
      'UNSUPPORTED_MEDIA_TYPE',
      415,
      `${what}; send Content-Type: application/json (optionally Content-Encoding: gzip)`,
    ),
  overloaded: (retryAfterSeconds: number) =>
    new LensError('OVERLOADED', 503, 'write pipeline is saturated; retry later', [], {}, retryAfterSeconds),
  databaseUnavailable: (retryAfterSeconds: number) =>
    new LensError('UNAVAILABLE', 503, 'database unavailable; retry later', [], {}, retryAfterSeconds),
} as const;

interface ValidationIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** "must be number or \"NaN\" or null", built from a union's per-branch issues. */
function unionMessage(branchIssues: readonly ValidationIssue[]): string {
  const allowed: string[] = [];
  for (const issue of branchIssues) {
    const option =
      issue.keyword === 'type'
        ? [String(issue.params?.type)]
        : issue.keyword === 'const'
          ? [JSON.stringify(issue.params?.allowedValue)]
          : issue.keyword === 'enum' && Array.isArray(issue.params?.allowedValues)
            ? issue.params.allowedValues.map((v) => JSON.stringify(v))
            : [];
    for (const o of option) if (!allowed.includes(o)) allowed.push(o);
  }
  return allowed.length > 0 ? `must be ${allowed.join(' or ')}` : 'does not match any allowed type';
}

/** Turns validator issues into one error per field path (unions collapsed, required expanded). */
export function toFieldErrors(issues: readonly ValidationIssue[], prefix = ''): FieldError[] {
  const byPath = new Map<string, ValidationIssue[]>();
  for (const issue of issues) {
    const at = issue.instancePath ?? '';
    const group = byPath.get(at);
    if (group === undefined) byPath.set(at, [issue]);
    else group.push(issue);
  }
  const out: FieldError[] = [];
  const seen = new Set<string>();
  const add = (path: string, message: string): void => {
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ path, message });
  };
  for (const [at, group] of byPath) {
    const path = prefix + at || '/';
    const branchIssues = group.filter((i) => i.keyword === 'type' || i.keyword === 'const' || i.keyword === 'enum');
    // A union reports one issue per branch (and sometimes no anyOf issue at all).
    const isUnion = group.some((i) => i.keyword === 'anyOf' || i.keyword === 'oneOf') || branchIssues.length > 1;
    for (const issue of group) {
      if (issue.keyword === 'required') {
        const missing = issue.params?.requiredProperties ?? issue.params?.missingProperty;
        for (const name of Array.isArray(missing) ? missing : [missing]) add(`${prefix}${at}/${String(name)}`, 'is required');
      } else if (isUnion) {
        if (['type', 'const', 'enum', 'anyOf', 'oneOf'].includes(issue.keyword ?? '')) {
          add(path, unionMessage(branchIssues));
        } else {
          add(path, issue.message ?? 'is invalid');
        }
      } else {
        add(path, issue.message ?? 'is invalid');
      }
    }
  }
  return out;
}

/**
 * Maps anything thrown in a request to a catalogue entry. Unknown errors become a hidden 500.
 * `bodyLimit` is the route's limit, named in a 413.
 */
export function classify(err: FastifyError | Error, bodyLimit?: number): LensError {
  if (err instanceof LensError) return err;
  if (err instanceof StoreSaturatedError) return errors.overloaded(err.retryAfterSeconds);
  if (err instanceof StoreUnavailableError) return errors.databaseUnavailable(err.retryAfterSeconds);
  const fe = err as FastifyError & { validation?: ValidationIssue[]; validationContext?: string };
  if (Array.isArray(fe.validation)) {
    const issues = toFieldErrors(fe.validation);
    return new LensError(
      'INVALID_REQUEST',
      400,
      `invalid ${fe.validationContext ?? 'request'}`,
      issues.slice(0, MAX_LISTED_ERRORS),
    );
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return bodyLimit === undefined ? new LensError('BODY_TOO_LARGE', 413, fe.message) : errors.bodyTooLarge(bodyLimit);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new LensError('UNSUPPORTED_MEDIA_TYPE', fe.statusCode === 415 ? 415 : 400, fe.message);
    default:
      break;
  }
  const status = fe.statusCode ?? 500;
  if (status >= 400 && status < 500) return new LensError('INVALID_REQUEST', status, fe.message);
  return new LensError('INTERNAL', 500, 'internal server error');
}

type Render = (reply: FastifyReply, lensError: LensError) => FastifyReply;

/** Ingest's shape: {meta: {code, message}, data: {errors} | null}. */
const renderEnvelope: Render = (reply, lensError) => {
  const data = lensError.fieldErrors.length > 0 ? { errors: lensError.fieldErrors } : null;
  return reply.send({ meta: { code: lensError.statusCode, message: lensError.message }, data });
};

/** Every other route: {error, code, ...extra, errors?}. */
const renderPlain: Render = (reply, lensError) => {
  const body: Record<string, unknown> = { error: lensError.message, code: lensError.code, ...lensError.extra };
  if (lensError.fieldErrors.length > 0) body.errors = lensError.fieldErrors;
  return reply.send(body);
};

function send(reply: FastifyReply, lensError: LensError, render: Render): FastifyReply {
  if (lensError.retryAfterSeconds !== null) reply.header('retry-after', String(lensError.retryAfterSeconds));
  for (const [name, value] of Object.entries(lensError.headers)) reply.header(name, value);
  reply.code(lensError.statusCode).type('application/json; charset=utf-8');
  return render(reply, lensError);
}

function errorHandler(render: Render) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const lensError = classify(err, request.routeOptions.bodyLimit);
    if (lensError.statusCode >= 500 && lensError.code === 'INTERNAL') {
      // The client sees a generic message; the operator sees the real one.
      request.log.error({ err }, 'request failed');
    } else if (lensError.code === 'UNAVAILABLE') {
      request.log.warn({ err: err.message }, 'database unavailable; answered 503');
    } else if (lensError.statusCode === 400 || lensError.statusCode === 413) {
      request.log.debug({ code: lensError.code, errors: lensError.fieldErrors.slice(0, 5) }, lensError.message);
    }
    return send(reply, lensError, render);
  };
}

function notFoundHandler(render: Render) {
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply =>
    send(reply, errors.routeNotFound(request.method, request.url), render);
}

/** The app-wide default: plain JSON errors and 404s. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(errorHandler(renderPlain));
  app.setNotFoundHandler(notFoundHandler(renderPlain));
}

/**
 * Envelope errors for the routes of this plugin context; with `notFound`, also for unknown
 * paths under its prefix (one not-found handler per prefix).
 */
export function useEnvelopeErrors(app: FastifyInstance, opts: { notFound: boolean }): void {
  app.setErrorHandler(errorHandler(renderEnvelope));
  if (opts.notFound) app.setNotFoundHandler(notFoundHandler(renderEnvelope));
}
