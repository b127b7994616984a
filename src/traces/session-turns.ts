/**
 * Numbers the turns of each session in file order (0, 1, 2, ...) and remembers each
 * session's latest arrival, for formats that name a session but not the turn. Memory
 * grows with the number of distinct sessions, not with rows.
 */
export class SessionTurns {
  private readonly sessions = new Map<string, {nextTurn: number; lastArrivalUs: number}>()

  /** The turn number for a new row of `sessionId` arriving at `arrivalUs`. */
  nextTurn(sessionId: string, arrivalUs: number): number {
    const session = this.sessions.get(sessionId)
    if (session === undefined) {
      this.sessions.set(sessionId, {nextTurn: 1, lastArrivalUs: arrivalUs})
      return 0
    }
    session.lastArrivalUs = arrivalUs
    return session.nextTurn++
  }

  /** Arrival of the session's latest row so far, or undefined for a new session. */
  lastArrivalUs(sessionId: string): number | undefined {
    return this.sessions.get(sessionId)?.lastArrivalUs
  }
}
