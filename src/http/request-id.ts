/** Request ids: taken from the caller's X-Request-Id when it is a sane token, otherwise made here. */

const SANE = /^[\x21-\x7e]{1,128}$/;

/** The caller's X-Request-Id (visible ASCII, at most 128 characters), or a new UUID. */
export function requestIdOf(request: Request): string {
  const given = request.headers.get("x-request-id");
  return given !== null && SANE.test(given) ? given : crypto.randomUUID();
}
