// Request bodies through Fastify's own path: Fastify reads the body, applies `bodyLimit` and
// the Content-Length checks; a `preParsing` hook only swaps in a gzip/deflate decoder, and
// Fastify applies the limit to the decoded stream (a small gzip bomb is refused as soon as its
// output passes the limit, never expanded into gigabytes). What stays ours:
// - JSON that tolerates Python's bare NaN / Infinity tokens (lenient-json.ts);
// - curl -d sends application/x-www-form-urlencoded even for a JSON body, and the product
//   quickstart's connectivity check is such a curl: a form body that looks like JSON is parsed
//   as JSON, so the operator gets a 400 saying what is required, not a 415;
// - a 415 that names the unsupported Content-Type or Content-Encoding.
// @fastify/compress would decode too, but it also brings response compression and five
// dependencies for what is one zlib stream here.
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest, RequestPayload } from 'fastify';
import { errors } from '../errors.js';
import { JsonSyntaxError, parseLenientJson } from './lenient-json.js';

type Done = (err: Error | null, body?: unknown) => void;

/** Fastify's rawBody compares Content-Length and bodyLimit against this property when present. */
type DecodedStream = Transform & { receivedEncodedLength: number };

function decoderFor(encoding: string): Transform | null | 'unsupported' {
  switch (encoding) {
    case '':
    case 'identity':
      return null;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    default:
      return 'unsupported';
  }
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

/** preParsing: hands Fastify the decoded body stream when the body is compressed. */
function decodeContentEncoding(
  request: FastifyRequest,
  _reply: FastifyReply,
  payload: RequestPayload,
  done: (err: Error | null, stream?: RequestPayload) => void,
): void {
  const header = request.headers['content-encoding'];
  if (header === undefined || !hasBody(request)) {
    done(null, payload);
    return;
  }
  const encoding = (Array.isArray(header) ? header.join(',') : header).trim().toLowerCase();
  const decoder = decoderFor(encoding);
  if (decoder === null) {
    done(null, payload);
    return;
  }
  if (decoder === 'unsupported') {
    done(errors.unsupportedMediaType(`Content-Encoding ${JSON.stringify(encoding)} is not supported`));
    return;
  }
  // A stream of our own between the decoder and Fastify: a corrupt body fails with our
  // message rather than zlib's, the encoded byte count travels with it, and decoding stops
  // once the output passed the limit (Fastify answers 413 on that same chunk).
  const limit = request.routeOptions.bodyLimit;
  let decodedBytes = 0;
  const decoded = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      decodedBytes += chunk.length;
      callback(null, chunk);
      if (decodedBytes > limit) stop();
    },
  }) as DecodedStream;
  const stop = (): void => {
    payload.unpipe(decoder);
    decoder.destroy();
  };
  decoded.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => {
    decoded.receivedEncodedLength += chunk.length;
  });
  payload.on('error', (err) => decoded.destroy(err));
  decoder.on('error', (err) => decoded.destroy(errors.undecodable(encoding, err.message)));
  // Fastify stops listening once it has answered; a late error must not become uncaught.
  decoded.on('error', () => {});
  payload.pipe(decoder).pipe(decoded);
  done(null, decoded);
}

function decodeJson(text: string, formEncoded: boolean): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const trimmed = body.trimStart();
  if (trimmed === '') throw errors.invalidJson('the body is empty; a JSON object is required');
  if (formEncoded && trimmed[0] !== '{' && trimmed[0] !== '[') {
    throw errors.unsupportedMediaType('form-encoded bodies are not supported');
  }
  try {
    return parseLenientJson(body);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw errors.invalidJson(err.message);
    throw err;
  }
}

function jsonParser(formEncoded: boolean) {
  return (_request: FastifyRequest, body: string | Buffer, done: Done): void => {
    try {
      done(null, decodeJson(typeof body === 'string' ? body : body.toString('utf8'), formEncoded));
    } catch (err) {
      done(err as Error);
    }
  };
}

/** Fastify's `bodyLimit` (set from LENS_BODY_LIMIT_BYTES) bounds every body, after decoding. */
export function registerBodyParsers(app: FastifyInstance): void {
  app.addHook('preParsing', decodeContentEncoding);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonParser(false));
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, jsonParser(true));
  app.addContentTypeParser('*', (request: FastifyRequest, payload: IncomingMessage, done: Done) => {
    payload.resume();
    const type = request.headers['content-type'];
    done(errors.unsupportedMediaType(type ? `Content-Type ${JSON.stringify(type)} is not supported` : 'Content-Type is missing'));
  });
}
