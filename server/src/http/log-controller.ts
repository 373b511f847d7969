// Fastify writes "incoming request" and "request completed" at info for every request. The
// quickstart (docs/quickstart.md) promises a few grep-able lines per request ("Processing WandB …"), so
// those two go to debug: visible with LENS_LOG_LEVEL=debug, silent by default.
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

export class QuietRequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else request.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
