import { KzError } from '../errors.js';
/** A command line that asks for something impossible: one line, exit 2. */
export class UsageError extends KzError {
  override name = 'UsageError';
}
