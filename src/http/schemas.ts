/** Request and response schemas of the public routes: Elysia validates with them and Swagger shows them. */
import { t } from "elysia";

export const ErrorBody = t.Object(
  { error: t.String({ description: "What went wrong, for the operator reading Odoo's or the gateway's logs" }) },
  { additionalProperties: true, description: "An error; some carry more fields (sfu, sfu_status)" },
);

export const ChannelQuery = t.Object(
  {
    region: t.Optional(
      t.String({
        description:
          "Region to create the channel in: a region of the configuration (free names such as `local` or `eu-west-2`) or a built-in one (`eu-west`, `us-east`, ...). Not passed on to the SFU. Odoo does not send it.",
        examples: ["eu-west"],
      }),
    ),
    country: t.Optional(
      t.String({
        description:
          "ISO 3166-1 alpha-2 country code (any case), used when `region` is absent or unknown: the country's built-in region. Not passed on to the SFU.",
        examples: ["FR"],
      }),
    ),
    webRTC: t.Optional(
      t.String({
        description: "Passed on to the SFU unchanged: only the literal `false` creates a channel without WebRTC.",
        examples: ["false"],
      }),
    ),
    recordingAddress: t.Optional(
      t.String({ description: "Passed on to the SFU unchanged (sent by recent Odoo versions)." }),
    ),
  },
  { additionalProperties: true },
);

export const ChannelAnswer = t.Object(
  {
    uuid: t.String({ description: "The channel's id on the chosen SFU" }),
    url: t.String({ description: "The chosen SFU's own public URL: browsers connect there, not to the gateway" }),
  },
  { description: "The SFU's answer, exactly these two fields" },
);

export const StatusOk = t.Object({ status: t.Literal("ok") });
export const SfuNoop = t.Object({ result: t.Literal("ok") });

/** Route option that makes the OpenAPI document list only application/json (these GET routes take no body). */
export const JSON_ONLY = { parse: "application/json" } as const;
