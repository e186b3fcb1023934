// The per-request values every middleware and handler of the API shares through `c.var`.
import type { Logger } from 'pino';
import type { Principal } from './api-keys.ts';

export type ApiEnv = {
  Variables: {
    /** The caller's X-Request-Id when sane, else a new one; echoed and logged. */
    requestId: string;
    /** The app logger, bound to this request's id. */
    log: Logger;
    /** The API key that authenticated the request, when one did. */
    principal: Principal | undefined;
  };
};
