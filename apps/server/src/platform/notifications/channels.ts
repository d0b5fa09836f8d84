import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { SmtpConfig } from '../../config/config.ts';

export interface OutboundMessage {
  id: string;
  target: string;
  subject: string;
  body: string;
  data: Record<string, unknown>;
  /** For webhooks: the HMAC key for X-Engops-Signature. */
  secret?: string;
  /**
   * An earlier attempt may have sent this message already (its server stopped while sending, before
   * it could record the outcome). The message goes out again under the same id, marked as a repeat.
   */
  repeat?: boolean;
}

/** The line put above a message that may repeat one already sent. */
export const REPEAT_NOTE =
  'Possible repeat: engops may already have sent this message (a server stopped while sending it).';

export interface Channel {
  deliver(message: OutboundMessage): Promise<void>;
}

const TIMEOUT_MS = 10_000;

async function postJson(url: string, body: string, headers: Record<string, string>): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'engops', ...headers },
    body,
    signal: AbortSignal.timeout(TIMEOUT_MS),
    redirect: 'error',
  });
  // Drain the body so the connection can be reused.
  const text = await response.text().catch(() => '');
  if (!response.ok)
    throw new Error(`HTTP ${response.status} from ${new URL(url).host}: ${text.slice(0, 200)}`);
}

/** `sha256=<hex HMAC of "<timestamp>.<body>">`, verifiable by the receiver with the shared secret. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function createWebhookChannel(): Channel {
  return {
    async deliver(message) {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const body = JSON.stringify({
        id: message.id,
        subject: message.subject,
        text: message.body,
        data: message.data,
        sent_at: new Date().toISOString(),
        ...(message.repeat ? { possible_repeat: true } : {}),
      });
      // The delivery id doubles as the idempotency key: a receiver that keeps the ids it has seen can
      // drop a repeat (same id on every retry and on a re-send after a crash).
      const headers: Record<string, string> = {
        'x-engops-delivery': message.id,
        'idempotency-key': message.id,
        'x-engops-timestamp': timestamp,
      };
      if (message.repeat) headers['x-engops-redelivery'] = 'true';
      if (message.secret) headers['x-engops-signature'] = signWebhook(message.secret, timestamp, body);
      await postJson(message.target, body, headers);
    },
  };
}

/** Slack incoming webhooks take `{text, blocks}`; the subject goes in bold above the text. */
export function createSlackChannel(): Channel {
  return {
    async deliver(message) {
      const main = message.body ? `*${message.subject}*\n${message.body}` : `*${message.subject}*`;
      const text = message.repeat ? `_${REPEAT_NOTE}_\n${main}` : main;
      await postJson(message.target, JSON.stringify({ text, mrkdwn: true }), {});
    },
  };
}

export function createEmailChannel(smtp: SmtpConfig | undefined): Channel & { readonly configured: boolean } {
  const transport = smtp
    ? nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
        connectionTimeout: TIMEOUT_MS,
        greetingTimeout: TIMEOUT_MS,
        socketTimeout: TIMEOUT_MS,
      })
    : undefined;
  return {
    configured: transport !== undefined,
    async deliver(message) {
      if (!transport || !smtp) throw new Error('email is not configured (set ENGOPS_SMTP_HOST)');
      await transport.sendMail({
        from: smtp.from,
        to: message.target,
        subject: message.subject,
        text: message.repeat ? `${REPEAT_NOTE}\n\n${message.body}` : message.body,
        // One Message-ID per delivery, the same on every attempt: mail systems that drop duplicate
        // Message-IDs (Gmail does) show a repeat once.
        messageId: `<${message.id}@engops>`,
        headers: {
          'X-Engops-Notification': message.id,
          ...(message.repeat ? { 'X-Engops-Redelivery': 'true' } : {}),
        },
      });
    },
  };
}
