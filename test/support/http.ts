/** Reading JSON answers in tests. */


export type JsonBody = Record<string, any>;

/** The JSON body of a response (or of a pending one), typed for field access in assertions. */
export async function bodyOf(response: Response | Promise<Response>): Promise<JsonBody> {
  return (await (await response).json()) as JsonBody;
}
