// What every route can reach: the engine, auth, config and metrics, and the per-request values
// the middleware sets.
import type { Http2Bindings, HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import type { Logger } from 'pino';
import type { Principal, TokenSigner } from '../auth/tokens.js';
import type { ServerConfig } from '../config.js';
import type { Database } from '../db/database.js';
import type { LogEngine } from '../log/log-engine.js';
import type { Metrics } from '../metrics.js';
import type { PresenceMetrics } from '../presence/presence-metrics.js';
import type { PresenceTracker } from '../presence/presence-tracker.js';
import type { Shutdown } from './shutdown.js';

export interface AppDeps {
  readonly config: ServerConfig;
  readonly database: Database;
  readonly engine: LogEngine;
  readonly signer: TokenSigner;
  readonly metrics: Metrics;
  /** Runner presence (PROTOCOL §Runner presence) and its metrics. */
  readonly presence: PresenceTracker;
  readonly presenceMetrics: PresenceMetrics;
  readonly logger: Logger;
  /** Begins when the server shuts down: streams end, long-polls answer, appends answer 503. */
  readonly shutdown: Shutdown;
}

export interface AppEnv {
  /** Node's request and response, as @hono/node-server passes them (the server is only ever served so). */
  Bindings: HttpBindings | Http2Bindings;
  Variables: {
    principal: Principal;
    requestId: string;
    /** The problem code of an error answer, for the request log and metrics. */
    problemCode: string | undefined;
  };
}

export type AppContext = Context<AppEnv>;
