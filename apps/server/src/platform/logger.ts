import pino, { type Logger } from 'pino';

/** Structured JSON logs on stdout (pino). Tests pass level "silent". */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'engops' }, timestamp: pino.stdTimeFunctions.isoTime });
}
