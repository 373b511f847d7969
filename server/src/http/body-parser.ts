// Request body parsing for every route: JSON (lenient about Python's NaN tokens), gzip or
// deflate Content-Encoding, one byte limit applied after decompression (a small gzip bomb
// must not expand into gigabytes), and a clear 415 for anything that is not JSON.
//
// curl -d sends application/x-www-form-urlencoded even for a JSON body, and the founding
// document's connectivity check is such a curl; a form body that looks like JSON is
// therefore parsed as JSON, so the operator gets a 400 saying what is required, not a 415.
import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate } from 'node:zlib';
import type { Transform } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors, LensError } from '../errors.js';
import { JsonSyntaxError, parseLenientJson } from './lenient-json.js';

type Done = (err: Error | null, body?: unknown) => void;

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

/** Reads the whole body (decompressing if asked) into one Buffer, enforcing limitBytes. */
function readBody(raw: IncomingMessage, encoding: string, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const decoder = decoderFor(encoding);
    if (decoder === 'unsupported') {
      raw.resume();
      reject(errors.unsupportedMediaType(`Content-Encoding ${JSON.stringify(encoding)} is not supported`));
      return;
    }
    const declared = Number(raw.headers['content-length']);
    if (Number.isFinite(declared) && declared > limitBytes) {
      raw.resume();
      reject(errors.bodyTooLarge(limitBytes));
      return;
    }
    const source = decoder === null ? raw : raw.pipe(decoder);
    const chunks: Buffer[] = [];
    let total = 0;
    let rawTotal = 0;
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      if (decoder !== null) decoder.destroy();
      raw.resume(); // drain, so the socket can carry the error response
      reject(err);
    };
    if (decoder !== null) {
      raw.on('data', (chunk: Buffer) => {
        rawTotal += chunk.length;
        if (rawTotal > limitBytes) fail(errors.bodyTooLarge(limitBytes));
      });
    }
    source.on('data', (chunk: Buffer) => {
      if (settled) return;
      total += chunk.length;
      if (total > limitBytes) {
        fail(errors.bodyTooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    });
    source.on('error', (err: Error) => {
      fail(decoder !== null ? errors.invalidJson(`could not decompress the ${encoding} body (${err.message})`) : err);
    });
    raw.on('aborted', () => fail(new LensError('INVALID_REQUEST', 400, 'request aborted by the client')));
    source.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total));
    });
  });
}

function decodeJson(buf: Buffer, formEncoded: boolean): unknown {
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const trimmed = text.trimStart();
  if (trimmed === '') throw errors.invalidJson('the body is empty; a JSON object is required');
  if (formEncoded && trimmed[0] !== '{' && trimmed[0] !== '[') {
    throw errors.unsupportedMediaType('form-encoded bodies are not supported');
  }
  try {
    return parseLenientJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw errors.invalidJson(err.message);
    throw err;
  }
}

function parser(limitBytes: number, formEncoded: boolean) {
  return (request: FastifyRequest, payload: IncomingMessage, done: Done): void => {
    const encodingHeader = request.headers['content-encoding'];
    const encoding = (Array.isArray(encodingHeader) ? encodingHeader.join(',') : encodingHeader ?? '').trim().toLowerCase();
    readBody(payload, encoding, limitBytes).then(
      (buf) => {
        try {
          done(null, decodeJson(buf, formEncoded));
        } catch (err) {
          done(err as Error);
        }
      },
      (err: Error) => done(err),
    );
  };
}

export function registerBodyParsers(app: FastifyInstance, limitBytes: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', parser(limitBytes, false));
  app.addContentTypeParser('application/x-www-form-urlencoded', parser(limitBytes, true));
  app.addContentTypeParser('*', (request: FastifyRequest, payload: IncomingMessage, done: Done) => {
    payload.resume();
    const type = request.headers['content-type'];
    done(errors.unsupportedMediaType(type ? `Content-Type ${JSON.stringify(type)} is not supported` : 'Content-Type is missing'));
  });
}
