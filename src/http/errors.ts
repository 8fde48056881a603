/** JSON answers: `{"error": "..."}` with the right status, never a stack trace. */

const JSON_TYPE = "application/json";

export function jsonError(
  status: number,
  error: string,
  extra?: Readonly<Record<string, unknown>>,
  headers?: Readonly<Record<string, string>>,
): Response {
  return jsonResponse(extra === undefined ? { error } : { error, ...extra }, status, headers);
}

export function jsonResponse(body: unknown, status = 200, headers?: Readonly<Record<string, string>>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: headers === undefined ? { "content-type": JSON_TYPE } : { "content-type": JSON_TYPE, ...headers },
  });
}
