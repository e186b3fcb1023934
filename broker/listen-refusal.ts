// What a server that could not listen tells the operator: the address, the reason and the
// settings that pick it, instead of Node's unhandled 'error' event and stack trace.
import { ConfigError } from './core/errors.ts';

/** The listen error as a ConfigError naming `settings`, when a setting can mend it; otherwise the error itself. */
export function listenRefusal(error: NodeJS.ErrnoException, what: string, address: string, settings: string): Error {
  const mendable = error.code === 'EADDRINUSE' || error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL';
  return mendable ? new ConfigError(`cannot serve ${what} on ${address} (${error.code}): set ${settings}`, { cause: error }) : error;
}
