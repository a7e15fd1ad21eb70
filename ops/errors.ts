/** A failure the CLI reports in one line and exits 1 for. */
export class OpsError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'OpsError';
  }
}

/** Bad usage: the CLI prints the reason and exits 2, having done nothing. */
export class UsageError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
