/** A command line that asks for something impossible: one line, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
