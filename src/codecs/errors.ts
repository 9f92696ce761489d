// The codecs' user-facing failure, in a module of its own so every codec row
// can import it without importing the table that lists the rows.
import { KzError } from '../errors.js';

/** A failure a user can read: bad setting, corrupt stream, output over a limit. */
export class CodecError extends KzError {
  override name = 'CodecError';
  override readonly aboutInput = true;
}
