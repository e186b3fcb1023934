// pino with constant messages and variables in fields. Known secret-bearing fields are
// redacted as a second line of defence; the first is never putting a secret in a field. (Node's
// URL errors carry the URL they could not parse, password and all, as `input`; ioredis errors
// carry the command that failed with its arguments, and a refused AUTH, after a password
// rotation, is one: BullMQ passes it on as a worker's 'error', which is logged whole; an S3
// error carries the access key id.)
import { pino, type DestinationStream, type Logger } from 'pino';

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'sluice' },
      redact: {
        paths: ['authorization', '*.authorization', 'headers.authorization', 'apiKey', '*.apiKey', 'password', '*.password', 'url', '*.redisUrl', 'err.input', 'err.command.args', 'err.AWSAccessKeyId'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
