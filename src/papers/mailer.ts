/**
 * Sending one email over SMTP (nodemailer's SMTP client), and saying exactly how it ended: delivered
 * to the server, definitely not delivered (safe to try again), or unknown (the server may have taken
 * it). The digest's never-twice guarantee rests on that last distinction, so the message body is a
 * stream this module watches: nodemailer only reads it after the server accepted the envelope (DATA),
 * and a server can only accept a message after reading its body. An error before the first byte of
 * the body was read, or a failure reply (4xx/5xx) to it, proves the message was not taken; any other
 * failure once the body was on its way (the connection dropped, a timeout while waiting for the final
 * reply) may have come after the server queued it.
 */
import { Readable } from 'node:stream';
import MailComposer from 'nodemailer/lib/mail-composer';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { QuiverError } from '../core/errors.js';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** `<...@...>`: the same for every attempt at the same digest. */
  messageId: string;
  /** RFC 2369/8058: the unsubscribe link, also offered as one-click (List-Unsubscribe-Post). */
  unsubscribeUrl: string;
}

export type SendOutcome =
  | { status: 'sent'; response: string }
  /** Not taken by the server. `stage` connect: the server could not be reached or refused the login. */
  | { status: 'not-delivered'; stage: 'connect' | 'envelope' | 'message'; permanent: boolean; error: string }
  /** Perhaps taken: the connection failed after the server had started reading the message. */
  | { status: 'uncertain'; error: string };

export interface Mailer {
  send(mail: OutgoingMail): Promise<SendOutcome>;
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
}

/** The MIME message and its envelope, built once (attempts at one digest send the same bytes). */
export async function buildMessage(mail: OutgoingMail): Promise<{ raw: Buffer; envelope: { from: string; to: string[] } }> {
  const node = new MailComposer({
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    // (MailComposer leaves the `list` option to nodemailer's transport layer, which is not used here)
    headers: { 'List-Unsubscribe': `<${mail.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click', 'Auto-Submitted': 'auto-generated' },
  }).compile();
  const envelope = node.getEnvelope();
  const raw = await node.build();
  return { raw, envelope: { from: envelope.from || mail.from, to: envelope.to } };
}

export interface SmtpMailerOptions {
  /** smtp://user:pass@host:587, smtps://host:465 (nodemailer's URL form; ?requireTLS=true etc.). */
  url: string;
  connectionTimeoutMs?: number;
  /** Inactivity on an open connection (e.g. waiting for the reply to the message) before giving up. */
  socketTimeoutMs?: number;
}

export class SmtpMailer implements Mailer {
  private readonly options: ReturnType<typeof parseConnectionUrl>;
  private readonly timeouts: { connectionTimeout: number; greetingTimeout: number; socketTimeout: number };

  constructor(options: SmtpMailerOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new QuiverError('INVALID_ARGUMENT', 'smtp.url (QUIVER_SMTP_URL) is not a URL; use e.g. smtp://user:password@mail.example.org:587 or smtps://mail.example.org:465.', { field: 'smtp.url' });
    }
    if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
      throw new QuiverError('INVALID_ARGUMENT', `smtp.url (QUIVER_SMTP_URL) must start with smtp:// or smtps://; got ${parsed.protocol}//.`, { field: 'smtp.url' });
    }
    this.options = parseConnectionUrl(options.url);
    const connection = options.connectionTimeoutMs ?? 30_000;
    this.timeouts = { connectionTimeout: connection, greetingTimeout: connection, socketTimeout: options.socketTimeoutMs ?? 60_000 };
  }

  async send(mail: OutgoingMail): Promise<SendOutcome> {
    const { raw, envelope } = await buildMessage(mail);
    const { auth, service: _service, ...connectionOptions } = this.options as typeof this.options & { service?: string };
    const connection = new SMTPConnection({ ...connectionOptions, ...this.timeouts } as ConstructorParameters<typeof SMTPConnection>[0]);
    let stage: 'connect' | 'envelope' = 'connect';
    let bodyStarted = false;
    // errors also reach the callbacks below; without a listener an 'error' event would throw
    connection.on('error', () => undefined);
    try {
      await new Promise<void>((resolve, reject) => connection.connect((err) => (err ? reject(err) : resolve())));
      if (auth !== undefined) {
        await new Promise<void>((resolve, reject) => connection.login(auth, (err) => (err ? reject(err) : resolve())));
      }
      stage = 'envelope';
      const body = new Readable({
        read() {
          if (bodyStarted) return;
          bodyStarted = true;
          this.push(raw);
          this.push(null);
        },
      });
      const info = await new Promise<{ response?: string }>((resolve, reject) => connection.send(envelope, body, (err, result) => (err ? reject(err) : resolve(result as { response?: string }))));
      connection.quit();
      return { status: 'sent', response: info.response ?? '' };
    } catch (thrown) {
      connection.close();
      const error = thrown as SmtpError;
      const message = describeSmtpError(error);
      const failureReply = typeof error.responseCode === 'number' && error.responseCode >= 400;
      const permanent = failureReply && error.responseCode! >= 500;
      if (!bodyStarted) return { status: 'not-delivered', stage, permanent, error: message };
      if (failureReply) return { status: 'not-delivered', stage: 'message', permanent, error: message };
      return { status: 'uncertain', error: message };
    }
  }
}

function describeSmtpError(error: SmtpError): string {
  const code = error.code !== undefined ? ` (${error.code})` : '';
  return `${error.message}${code}`.slice(0, 500);
}
