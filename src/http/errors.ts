/** JSON error answers: `{"error": "..."}` with the right status, never a stack trace. */

const JSON_TYPE = { "content-type": "application/json" } as const;

export function jsonError(status: number, error: string, extra?: Readonly<Record<string, unknown>>, headers?: Readonly<Record<string, string>>): Response {
  return new Response(JSON.stringify(extra === undefined ? { error } : { error, ...extra }), {
    status,
    headers: headers === undefined ? JSON_TYPE : { ...JSON_TYPE, ...headers },
  });
}

export function jsonOk(body: unknown): Response {
  return new Response(JSON.stringify(body), { headers: JSON_TYPE });
}
