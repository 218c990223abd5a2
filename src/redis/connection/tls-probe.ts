/**
 * Telling a TLS port from a plain one, for the start-up check's errors. A plain Redis never answers
 * a TLS ClientHello (it waits for a newline), so `rediss://` to it would wait out the whole timeout
 * and look like a firewall; a Redis TLS port closes a plain-text connection at once, which alone
 * could be anything. One small probe of the other kind says which it is.
 */
import { connect as connectTcp } from 'node:net';
import { isIP } from 'node:net';
import { connect as connectTls } from 'node:tls';

/**
 * True when the server answers a plain-text `PING` as Redis does: `+PONG`, or an error reply such
 * as `-NOAUTH` (a password is set). False when it says nothing in `timeoutMs`, closes, or answers
 * something else (a TLS server's alert).
 */
export function answersPlainRedis(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host, port });
    const done = (answer: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk: Buffer) => {
      const first = chunk[0];
      done(first === 0x2b /* + */ || first === 0x2d /* - */);
    });
  });
}

/**
 * True when the server speaks TLS: the handshake completes, or the server ends it with a TLS alert
 * (it wants a client certificate, say). The certificate is not checked: this only asks which
 * protocol the port speaks, and nothing is sent over the connection.
 */
export function speaksTls(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTls({
      host,
      port,
      rejectUnauthorized: false,
      ...(isIP(host) === 0 ? { servername: host } : {}),
    });
    const done = (answer: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('secureConnect', () => done(true));
    socket.once('error', (error: NodeJS.ErrnoException) => done(/ALERT/.test(error.code ?? '')));
    socket.once('close', () => done(false));
  });
}
