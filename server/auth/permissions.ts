// Who may do what (PROTOCOL §Auth scope table). Each check throws 403 forbidden; a missing or
// invalid token is 401 before any of these runs.
import { ProblemError } from '../errors.js';
import type { Principal } from './tokens.js';

export type Action = 'admin' | 'list' | 'read' | 'read-build' | 'append';

/**
 * `read-build` is GET /v1/builds/{id}, which an append token may use too (a runner reads its
 * ack on restart); `read` is the build's events, stream and state.
 */
export function allows(principal: Principal, action: Action, buildId?: string): boolean {
  if (principal.kind === 'admin') return true;
  const scope = principal.scope;
  switch (action) {
    case 'admin':
      return false;
    case 'list':
      return scope.kind === 'read-all';
    case 'read':
      return scope.kind === 'read-all' || (scope.kind === 'read' && scope.buildId === buildId);
    case 'read-build':
      return scope.kind === 'read-all' || scope.buildId === buildId;
    case 'append':
      return scope.kind === 'append' && scope.buildId === buildId;
  }
}

export function authorize(principal: Principal, action: Action, buildId?: string): void {
  if (!allows(principal, action, buildId)) {
    throw new ProblemError('forbidden', buildId === undefined ? 'The token does not allow this.' : `The token does not allow this on build ${JSON.stringify(buildId)}.`);
  }
}

/** The generation a build-bound token carries, checked against the build it is used on. */
export function assertGeneration(principal: Principal, generation: string): void {
  if (principal.kind === 'token' && principal.generation !== undefined && principal.generation !== generation) {
    throw new ProblemError('unauthorized', 'The token was issued for an earlier build with this id.');
  }
}

export function generationOf(principal: Principal): string | undefined {
  return principal.kind === 'token' ? principal.generation : undefined;
}
