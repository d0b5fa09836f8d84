import { ERROR_CATALOGUE, type ErrorCode, type Problem } from '@engops/contracts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../platform/errors.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemOf(error: AppError, requestId?: string): Problem {
  return {
    type: `/docs/errors#${error.code}`,
    title: ERROR_CATALOGUE[error.code].title,
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(error.errors ? { errors: error.errors } : {}),
    ...(requestId ? { request_id: requestId } : {}),
  };
}

/** Maps Fastify's own errors (body parsing, limits, routing) onto the catalogue. */
function fromFastify(error: FastifyError): AppError | undefined {
  const map: Record<string, [ErrorCode, string]> = {
    FST_ERR_CTP_INVALID_JSON_BODY: ['HTTP_MALFORMED_JSON', 'The request body is not valid JSON.'],
    FST_ERR_CTP_EMPTY_JSON_BODY: [
      'HTTP_MALFORMED_JSON',
      'The request body is empty but the content type is JSON.',
    ],
    FST_ERR_CTP_BODY_TOO_LARGE: ['HTTP_PAYLOAD_TOO_LARGE', 'The request body is too large.'],
    FST_ERR_CTP_INVALID_MEDIA_TYPE: [
      'HTTP_UNSUPPORTED_MEDIA_TYPE',
      'Send the request body as application/json.',
    ],
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['HTTP_VALIDATION_FAILED', 'Content-Length does not match the body.'],
  };
  const hit = error.code ? map[error.code] : undefined;
  if (hit) return new AppError(hit[0], hit[1], { errors: [{ path: 'body', message: hit[1] }] });
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return new AppError('HTTP_MALFORMED_JSON', error.message, {
      errors: [{ path: 'body', message: error.message }],
    });
  }
  if (error.statusCode === 413) return new AppError('HTTP_PAYLOAD_TOO_LARGE');
  if (error.statusCode === 415) return new AppError('HTTP_UNSUPPORTED_MEDIA_TYPE');
  return undefined;
}

export function sendProblem(reply: FastifyReply, error: AppError, request: FastifyRequest): FastifyReply {
  if (error.headers) reply.headers(error.headers);
  return reply.code(error.status).type(PROBLEM_CONTENT_TYPE).send(problemOf(error, request.id));
}

/**
 * Registers the error and not-found handlers. `notFound` may answer first (the web UI's client-side
 * routes); whatever it leaves unanswered gets a 404 problem.
 */
export function registerProblemHandlers(
  app: FastifyInstance,
  notFound?: (request: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined,
): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = error instanceof AppError ? error : fromFastify(error);
    if (appError) {
      if (appError.status >= 500) request.log.error({ err: error }, appError.message);
      return sendProblem(reply, appError, request);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, new AppError('HTTP_INTERNAL', 'An unexpected error occurred.'), request);
  });
  app.setNotFoundHandler(
    (request, reply) =>
      notFound?.(request, reply) ??
      sendProblem(
        reply,
        new AppError('HTTP_NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}.`),
        request,
      ),
  );
}

/**
 * Fastify's `frameworkErrors` option (errors raised before routing: a malformed percent-encoding in
 * the URL, an over-long path parameter). Without it Fastify answers those in its own JSON shape.
 */
export function frameworkErrors(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const appError =
    error.statusCode !== undefined && error.statusCode >= 500
      ? new AppError('HTTP_INTERNAL', 'An unexpected error occurred.')
      : new AppError('HTTP_VALIDATION_FAILED', 'The URL is not valid.', {
          errors: [{ path: 'url', message: error.message }],
        });
  return sendProblem(reply, appError, request);
}
