// Redis key enforcement adds next to the ledger's (same {team} hash tag, so
// the reserve and record scripts each touch a single Cluster slot).

const tag = (team: string) => `tg:{${team}}`;

export const enforceKeys = {
  /**
   * Hash of calls in flight (field = request id, value = "<micro-USD>:<expiry
   * ms>:<settle JSON>") and of GCRA state (field = "rl|<kind>|<scope>", value
   * = theoretical arrival time in ms). The ledger's record script releases
   * reservations here (its KEYS[5]).
   */
  reservations: (team: string) => `${tag(team)}:reservations`,
};
