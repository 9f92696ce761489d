// Errors the image reader raises: always one readable line saying what was
// wrong; the CLI prefixes the file name and exits 2.

import { KzError } from '../errors.js';
export class ImageError extends KzError {
  override name = 'ImageError';
  override readonly aboutInput = true;
}

export function fail(message: string): never {
  throw new ImageError(message);
}
