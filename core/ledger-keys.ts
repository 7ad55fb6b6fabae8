// Where usage lives in Redis. The sidecar writes these keys (one Lua script per
// call) and the operator and `tollgate report` read them. Every key of a team
// carries the hash tag {team}, so one script touches one slot on Redis Cluster.

/** Set of every team that has sent traffic; written once per sidecar start. */
export const TEAMS_KEY = 'tg:teams';
/** Compiled price table published by the operator (JSON: { version, prices: ModelPriceSpec[] }). */
export const PRICES_KEY = 'tg:prices';
/** Pub/sub channel: a message (the changed key) tells sidecars to refresh at once. */
export const UPDATES_CHANNEL = 'tg:updates';

const tag = (team: string) => `tg:{${team}}`;

export const ledgerKeys = {
  /** Team policy published by the operator (JSON: { version, spec: TeamBudgetSpec }). */
  policy: (team: string) => `${tag(team)}:policy`,
  /** Hash of the team's totals for one budget period (see core/period.ts for ids). */
  period: (team: string, periodId: string) => `${tag(team)}:period:${periodId}`,
  /** Hash of hourly usage (team x model x job); hourId is "2026-12-04T19" in UTC. */
  hour: (team: string, hourId: string) => `${tag(team)}:hour:${hourId}`,
  /** Stream of usage events, one per call, each with its request id. */
  events: (team: string) => `${tag(team)}:events`,
  /** Marker that a request id was recorded, so a replayed event never counts twice. */
  seen: (team: string, requestId: string) => `${tag(team)}:seen:${requestId}`,
  /**
   * Hash of in-flight reservations and GCRA rate-limit state, owned by
   * enforcement (sidecar/enforce/reserve.lua): field = request id, value =
   * "<micro-USD>:<expiry ms>:<settle JSON>"; field = "rl|<kind>|<scope>", value =
   * theoretical arrival time in ms. The ledger's record script releases a
   * call's reservation here when it records the call.
   */
  reservations: (team: string) => `${tag(team)}:reservations`,
};
