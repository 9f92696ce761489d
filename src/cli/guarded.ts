import { asKzError } from '../errors.js';

/**
 * Run an action. A user's error (a KzError, a system error such as ENOENT or
 * ENOSPC, a failed allocation) becomes "kzbench: FILE: message" lines and exit
 * 2; anything else is a bug in kzbench and prints its stack, exit 70.
 */
export async function guarded(file: string | undefined, action: () => void | Promise<void>): Promise<void> {
  try {
    await action();
  } catch (e) {
    const user = asKzError(e, file);
    if (user) {
      for (const line of user.lines()) process.stderr.write(`kzbench: ${line}\n`);
      process.exit(2);
    }
    const err = e as Error;
    process.stderr.write(`kzbench: internal error (a bug in kzbench): ${err?.stack ?? String(e)}\n`);
    process.exit(70);
  }
}
