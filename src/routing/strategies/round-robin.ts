/** round-robin: each new issuer goes to the next usable SFU of the tier, in turn. */
import type { Strategy } from "./strategy.ts";
import { rotate } from "./strategy.ts";

export const roundRobin: Strategy = {
  name: "round-robin",
  order: (members, _iss, turn) => rotate(members, turn),
  overloaded: () => false,
  readsLoad: false,
  describe: () => "round-robin turn",
};
