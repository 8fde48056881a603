import { randomBytes } from "node:crypto";

/** A fresh random 32-byte key, standard base64 with padding. */
export const newKey = (): string => randomBytes(32).toString("base64");
