// The fault mixes the chaos scenarios put between runners, readers and the server.

/** Per-connection fault mix for runner traffic: about 35 % of exchanges fail, well above the 20 % floor the test asserts (≈3 σ at ~100 exchanges). */
export const RUNNER_FAULTS = { refuse: 0.08, dropAfterRequest: 0.14, drip: 0.05, cutResponse: 0.08, delayMs: [0, 30] as const };
/**
 * For readers: refusals and streams cut mid-frame. No drip: a dripped stream (bytes per tens of
 * milliseconds) would take minutes to carry a build and prove nothing a cut does not.
 */
export const READER_FAULTS = { refuse: 0.1, cutResponse: 0.5, delayMs: [0, 20] as const };
