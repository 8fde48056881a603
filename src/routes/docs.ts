/**
 * API documentation: the OpenAPI document at /swagger/json, generated from the route schemas by
 * @elysiajs/swagger, and Swagger UI at /swagger served from assets inside the binary (no CDN: it
 * works in a closed network).
 *
 * The swagger plugin and what it pulls in cost about 4 MiB of memory and some start-up time, for a
 * page few ever open: it is loaded on the first request for the document, which it generates from
 * the very same route plugins the gateway serves, and the document is kept.
 */
import { type AnyElysia, Elysia } from "elysia";
// Embedded into the compiled binary by `bun build --compile`.
import bundlePath from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import cssPath from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
import faviconPath from "swagger-ui-dist/favicon-32x32.png" with { type: "file" };
import { jsonError } from "../http/errors.ts";
import { VERSION } from "../version.ts";

const ASSETS: Readonly<Record<string, readonly [string, string]>> = {
  "swagger-ui-bundle.js": [bundlePath, "text/javascript; charset=utf-8"],
  "swagger-ui.css": [cssPath, "text/css; charset=utf-8"],
  "favicon-32x32.png": [faviconPath, "image/png"],
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>sfu-gateway API</title>
  <link rel="icon" type="image/png" href="swagger/assets/favicon-32x32.png">
  <link rel="stylesheet" href="swagger/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="swagger/assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: "swagger/json", dom_id: "#swagger-ui", persistAuthorization: false });
  </script>
</body>
</html>`;

const DESCRIPTION = `A gateway between Odoo and several Odoo SFU servers. Odoo calls \`/v1/channel\` with a token
signed with the gateway key; the gateway picks an SFU, re-signs the same claims with that SFU's key and
returns the SFU's \`{uuid, url}\`. Browsers then connect to that SFU directly.

To try \`/v1/channel\` here: **Authorize** with a token signed with the gateway key (the demo prints one).`;

/** Builds the OpenAPI document of the routes `documented()` returns, with the swagger plugin. */
async function buildDocument(documented: () => AnyElysia): Promise<string> {
  const { swagger } = await import("@elysiajs/swagger");
  const app = new Elysia()
    .use(
      swagger({
        path: "/swagger",
        specPath: "/swagger/json",
        provider: "swagger-ui",
        documentation: {
          info: { title: "sfu-gateway", version: VERSION, description: DESCRIPTION },
          tags: [
            { name: "Channel", description: "What Odoo calls" },
            { name: "Health", description: "Liveness, readiness and probes" },
            { name: "Status", description: "The SFUs' state, the status page and Prometheus metrics" },
            { name: "Admin", description: "Drain, reload, explain: needs SFU_GATEWAY_ADMIN_KEY (off without it)" },
          ],
          components: {
            securitySchemes: {
              odooToken: {
                type: "http",
                scheme: "bearer",
                bearerFormat: "JWT",
                description:
                  "HS256 token signed with the gateway key (SFU_GATEWAY_KEY), with `iss` and `exp`. Odoo sends it as `jwt <token>` or `Bearer <token>`; any scheme word is accepted.",
              },
              adminKey: {
                type: "http",
                scheme: "bearer",
                description: "The admin key (SFU_GATEWAY_ADMIN_KEY), sent as `Authorization: Bearer <key>`.",
              },
            },
          },
        },
      }),
    )
    .use(documented());
  const response = await app.handle(new Request("http://localhost/swagger/json"));
  return response.text();
}

const JSON_TYPE = { "content-type": "application/json" } as const;

/** Elysia plugin: /swagger (Swagger UI), its assets, and /swagger/json for the routes `documented()` returns. */
export const docsRoutes = (documented: () => AnyElysia) => {
  let document: Promise<string> | undefined;
  return new Elysia({ name: "docs-routes" })
    .get("/swagger", () => new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } }), {
      detail: { hide: true },
    })
    .get(
      "/swagger/json",
      async () => {
        document ??= buildDocument(documented);
        return new Response(await document, { headers: JSON_TYPE });
      },
      { detail: { hide: true } },
    )
    .get(
      "/swagger/assets/:name",
      ({ params }) => {
        const asset = Object.hasOwn(ASSETS, params.name) ? ASSETS[params.name] : undefined;
        if (asset === undefined) return jsonError(404, "not found");
        return new Response(Bun.file(asset[0]), {
          headers: { "content-type": asset[1], "cache-control": "public, max-age=86400" },
        });
      },
      { detail: { hide: true } },
    );
};
