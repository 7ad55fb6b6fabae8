// Ledger keys not (yet) in core/ledger-keys.ts. Same {team} hash tag, so the
// record script can touch them in the same slot.

/** Hash of open reservations (field = request id); enforcement owns its values. */
export const reservationsKey = (team: string) => `tg:{${team}}:reservations`;
