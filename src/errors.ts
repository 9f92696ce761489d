// The one error base. Every failure a user can cause (a bad file, a bad flag,
// a full disk) is a KzError: the CLI prints its lines, each naming the file
// and what was wrong, and exits 2. Anything else is a bug in kzbench: the CLI
// prints its stack and exits 70.

export class KzError extends Error {
  override name = 'KzError';
  /** The file the problem is in, when there is one; prefixed to the message unless it already starts with it. */
  file: string | undefined;
  /**
   * True for errors about the command's input file that do not name it (the
   * image reader's, a codec's): the CLI names the input for them.
   */
  readonly aboutInput: boolean = false;

  constructor(message: string, file?: string) {
    super(message);
    this.file = file;
  }

  /** What the CLI prints, one problem per line, without the "kzbench: " prefix. */
  lines(): string[] {
    return [withFile(this.file, this.message)];
  }

  /** The same error, said about FILE when it does not name a file yet. */
  about(file: string): this {
    this.file ??= file;
    return this;
  }
}

/** "FILE: message", unless the message already starts with the file's name. */
export function withFile(file: string | undefined, message: string): string {
  if (!file || message.startsWith(file)) return message;
  return `${file}: ${message}`;
}

/** System errors that are the user's (or the machine's) situation, not kzbench's bug. */
const SYSTEM_CODES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a component of the path is not a directory',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many symbolic links, or a symbolic link where none is followed',
  EEXIST: 'already exists',
  EIO: 'input/output error',
  EFBIG: 'file too large',
  ENXIO: 'no such device or address',
};

/**
 * A user-facing error for E, or undefined when E is a bug. KzErrors as they
 * are (naming FILE, the command's input, when they are about it); system errors (ENOENT, EACCES, ENOSPC, ...) as one line naming their
 * path; a failed allocation as "out of memory".
 */
export function asKzError(e: unknown, file?: string): KzError | undefined {
  if (e instanceof KzError) return file && e.aboutInput ? e.about(file) : e;
  if (!(e instanceof Error)) return undefined;
  const sys = e as NodeJS.ErrnoException;
  if (typeof sys.code === 'string' && SYSTEM_CODES[sys.code]) {
    const path = sys.path ?? file;
    return new KzError(`${SYSTEM_CODES[sys.code]} (${sys.code}${sys.syscall ? ` in ${sys.syscall}` : ''})`, path);
  }
  if (e instanceof RangeError && /Array buffer allocation|Invalid typed array length|Invalid string length|Invalid array length/.test(e.message)) {
    return new KzError(`out of memory while reading (${e.message})`, file);
  }
  return undefined;
}

/**
 * A short, escaped excerpt of untrusted text for an error message: at most
 * MAX characters, control and non-ASCII characters escaped, so a message never
 * prints a file's contents or a binary.
 */
export function excerpt(text: string, max = 60): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  const escaped = JSON.stringify(cut)
    .slice(1, -1)
    .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `"${escaped}"${text.length > max ? `... (${text.length} characters)` : ''}`;
}
