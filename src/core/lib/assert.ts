/** An invariant of Quiver's own code. Never caught, never translated into a QuiverError. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(`Quiver internal invariant broken: ${message}`);
    this.name = 'AssertionError';
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}
