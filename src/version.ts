import { version } from "../package.json" with { type: "json" };

/** The gateway's version, from package.json (bundled into the binary). */
export const VERSION: string = version;
export const USER_AGENT = `sfu-gateway/${version}`;
