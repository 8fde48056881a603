/** Exit codes and the one way the command ends with an error. */

export const EXIT_FAILURE = 1;
export const EXIT_CONFIG = 2;

/** Prints `sfu-gateway: message` on stderr (no stack trace) and exits with `code`. */
export function fail(code: number, message: string): never {
  process.stderr.write(`sfu-gateway: ${message}\n`);
  process.exit(code);
}
