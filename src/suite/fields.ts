// Field types more than one part of a suite file uses.
import { z } from 'zod';
import { parseBytes } from '../codecs/settings.js';
import { excerpt } from '../errors.js';

/** A file name from the suite in a message: as it is when it is a plain path, else an excerpt. */
export function pathExcerpt(p: string): string {
  return /^[\x21-\x7e]{1,200}$/.test(p) ? p : excerpt(p, 60);
}

export const sizeText = z.string().superRefine((v, c) => {
  try {
    parseBytes('size', v);
  } catch {
    c.addIssue({ code: 'custom', message: `${excerpt(v, 30)}: expected a size such as 4096, 64KiB, 32MiB, 1GiB` });
  }
});
export const size = z.union([z.number().int().positive(), sizeText], { error: 'expected a size such as 32MiB or a number of bytes' });
