// Errors the image reader raises: always one readable line saying what was
// wrong; the CLI prefixes the file name and exits 2.

export class ImageError extends Error {
  override name = 'ImageError';
}

export function fail(message: string): never {
  throw new ImageError(message);
}
