/**
 * hash: rendezvous (highest-random-weight) hashing of the issuer over the tier's usable SFUs.
 * Every gateway replica with the same configuration and the same health view ranks the SFUs of an
 * issuer alike, without talking to the others; when an SFU leaves, only its issuers move.
 */
import type { SfuState } from "../../fleet/sfu-state.ts";
import type { Strategy } from "./strategy.ts";

const TWO_POW_53 = 2 ** 53;

/**
 * The weighted rendezvous score of `address` for `iss`: `-weight / ln(u)` with u uniform in (0, 1)
 * from a 64-bit wyhash of both (deterministic across processes and machines).
 */
export function rendezvousScore(iss: string, address: string, weight: number): number {
  const hash = Bun.hash.wyhash(`${iss}\u0000${address}`, 0n);
  const u = (Number(hash >> 11n) + 0.5) / TWO_POW_53;
  return -weight / Math.log(u);
}

export const hashStrategy: Strategy = {
  name: "hash",
  order(members, iss) {
    const scored = members.map((state: SfuState) => ({ state, score: rendezvousScore(iss, state.address, state.node.weight) }));
    scored.sort((a, b) => b.score - a.score);
    return scored.map((entry) => entry.state);
  },
  overloaded: () => false,
  readsLoad: false,
  describe: (state, iss) => `rendezvous score ${rendezvousScore(iss, state.address, state.node.weight).toPrecision(4)} for this issuer`,
};
