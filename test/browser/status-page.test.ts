/**
 * The status page in a real headless browser (playwright-core driving Debian's chromium): it loads
 * from the gateway alone, shows every SFU under its region and on the map, follows a drain by
 * refreshing itself, and renders something that is not blank.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type Page, chromium } from "playwright-core";
import { startGateway, type TestGateway } from "../support/gateway.ts";
import { newKey } from "../support/keys.ts";
import { deadAddress, startSfu, type TestSfu } from "../support/sfus.ts";

const CHROMIUM = "/usr/bin/chromium";
const TIMEOUT_MS = 30_000;
/** How long the page may take to show a change: it refreshes every 2 s. */
const SHOWN_WITHIN_MS = 10_000;
const ADMIN_KEY = `status-page-test-${randomBytes(24).toString("hex")}`;

interface Setup {
  readonly browser: Browser;
  readonly page: Page;
  readonly gateway: TestGateway;
  readonly sfus: readonly TestSfu[];
  readonly dead: string;
  /** Every URL the status page requested, in order. */
  readonly requests: string[];
  readonly pageErrors: string[];
  readonly firstResponse: { status: number; contentType: string };
}

const stops: (() => unknown)[] = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
});

let pending: Promise<Setup> | null = null;
/** Started by the first test that needs it; every test awaits it, so a missing browser fails each of them (never a skip). */
const setup = () => (pending ??= start());

async function start(): Promise<Setup> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`the browser test needs Debian's chromium at ${CHROMIUM}, which is missing: install it with \`apt-get install chromium\``);
  }
  const sfus = [startSfu("eu-west"), startSfu("eu-west"), startSfu("us-east")];
  for (const sfu of sfus) stops.push(() => sfu.stop());
  const dead = deadAddress();
  const gateway = startGateway([...sfus.map((sfu) => sfu.entry), { address: dead, key: newKey(), region: "local" }], {
    SFU_GATEWAY_ADMIN_KEY: ADMIN_KEY,
    SFU_GATEWAY_HEALTH_INTERVAL_MS: "200",
    SFU_GATEWAY_HEALTH_TIMEOUT_MS: "100",
  });
  stops.push(() => gateway.stop());
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  stops.push(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const requests: string[] = [];
  const pageErrors: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("pageerror", (error) => pageErrors.push(error.message));
  const response = await page.goto(`${gateway.url}/status`);
  if (response === null) throw new Error("no response for /status");
  return {
    browser,
    page,
    gateway,
    sfus,
    dead,
    requests,
    pageErrors,
    firstResponse: { status: response.status(), contentType: response.headers()["content-type"] ?? "" },
  };
}

/** The little of the DOM the checks use inside the browser (the project's types have no DOM library). */
interface InBrowser {
  notReloaded?: boolean;
  Image: new () => { src: string; naturalWidth: number; naturalHeight: number; decode(): Promise<void> };
  document: {
    createElement(tag: "canvas"): {
      width: number;
      height: number;
      getContext(kind: "2d"): { drawImage(image: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
    };
  };
}

const card = (address: string) => `[data-sfu="${address}"]`;

describe("status page in a browser", () => {
  test(
    "is one self-contained HTML page, served with 200 and text/html",
    async () => {
      const { gateway, firstResponse } = await setup();
      expect(firstResponse.status).toBe(200);
      expect(firstResponse.contentType).toStartWith("text/html");
      const text = await (await fetch(`${gateway.url}/status`)).text();
      expect(text.length).toBeLessThan(40 * 1024);
      // No URL of another host: the SVG namespace is a name, never fetched.
      const urls = (text.match(/\b(?:https?:)?\/\/[\w.-]+\.[a-z]{2,}[^\s"'<>)]*/gi) ?? []).filter((url) => !url.startsWith("http://www.w3.org/2000/svg"));
      expect(urls).toEqual([]);
      expect(text).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|@import|@font-face/i);
    },
    TIMEOUT_MS,
  );

  test(
    "shows every SFU under its region, the dead one down, and markers for the regions on the map",
    async () => {
      const { page, sfus, dead } = await setup();
      await page.locator(`section[data-region="local"] ${card(dead)}[data-state="down"]`).waitFor({ timeout: SHOWN_WITHIN_MS });
      for (const sfu of sfus) {
        await page.locator(`section[data-region="${sfu.region}"] ${card(sfu.url)}[data-state="up"]`).waitFor({ timeout: SHOWN_WITHIN_MS });
      }
      expect(await page.locator("[data-sfu]").count()).toBe(4);
      expect(await page.locator(`section[data-region="eu-west"] [data-sfu]`).count()).toBe(2);
      expect(await page.locator(`section[data-region="us-east"] [data-sfu]`).count()).toBe(1);
      expect(await page.locator(card(dead)).textContent()).toContain("refused");

      // eu-west and us-east have coordinates; "local" has none and is listed beside the map.
      expect(await page.locator(`#map [data-marker="eu-west"]`).getAttribute("data-health")).toBe("ok");
      expect(await page.locator(`#map [data-marker="us-east"]`).getAttribute("data-health")).toBe("ok");
      expect(await page.locator(`#map [data-marker="local"]`).count()).toBe(0);
      expect(await page.locator(`#map [data-marker="eu-west"]`).textContent()).toContain("eu-west");
      expect(await page.locator(`#elsewhere [data-region="local"]`).getAttribute("data-health")).toBe("none");

      expect(await page.locator("#ready").getAttribute("data-ready")).toBe("true");
      expect(await page.locator("#ready-reason").textContent()).toBe("3 of 4 SFUs usable");
      expect(await page.locator("#updated").textContent()).toMatch(/^Updated \d\d:\d\d:\d\d$/);
      expect(await page.locator("#banner").isVisible()).toBe(false);
    },
    TIMEOUT_MS,
  );

  test(
    "shows a drain made through the admin API without being reloaded",
    async () => {
      const { page, gateway, sfus } = await setup();
      const drained = sfus[0]!;
      await page.locator(`${card(drained.url)}[data-draining="false"]`).waitFor({ timeout: SHOWN_WITHIN_MS });
      // A reload would lose this mark.
      await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
      const fetchesBefore = await page.evaluate(() => performance.getEntriesByType("resource").filter((entry) => entry.name.endsWith("/status/json")).length);

      const response = await fetch(`${gateway.url}/admin/sfus/drain`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ address: drained.url }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ address: drained.url, draining: true, changed: true });

      await page.locator(`${card(drained.url)}[data-draining="true"][data-usable="false"]`).waitFor({ timeout: SHOWN_WITHIN_MS });
      expect(await page.locator(card(drained.url)).textContent()).toContain("draining");
      await page.locator(`#map [data-marker="eu-west"][data-health="some"]`).waitFor({ timeout: SHOWN_WITHIN_MS });
      expect(await page.locator(`${card(sfus[1]!.url)}`).getAttribute("data-draining")).toBe("false");
      expect(await page.evaluate(() => (globalThis as unknown as InBrowser).notReloaded)).toBe(true);
      const fetchesAfter = await page.evaluate(() => performance.getEntriesByType("resource").filter((entry) => entry.name.endsWith("/status/json")).length);
      expect(fetchesAfter).toBeGreaterThan(fetchesBefore);
    },
    TIMEOUT_MS,
  );

  test(
    "renders a screenshot that is not blank",
    async () => {
      const { browser, page } = await setup();
      const png = await page.screenshot();
      const dir = mkdtempSync(join(tmpdir(), "sfu-gateway-status-page-"));
      const path = join(dir, "status-page.png");
      writeFileSync(path, png);
      console.log(`status page screenshot: ${path}`);

      // Decoded and counted in a second page, on a canvas: distinct colours and the share of pixels
      // that differ from the most common one (the background).
      const viewer = await browser.newPage();
      try {
        const figures = await viewer.evaluate(async (base64) => {
          const { Image, document } = globalThis as unknown as InBrowser;
          const image = new Image();
          image.src = `data:image/png;base64,${base64}`;
          await image.decode();
          const canvas = document.createElement("canvas");
          canvas.width = image.naturalWidth;
          canvas.height = image.naturalHeight;
          const context = canvas.getContext("2d")!;
          context.drawImage(image, 0, 0);
          const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
          const counts = new Map<number, number>();
          for (let i = 0; i < data.length; i += 4) {
            const colour = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
            counts.set(colour, (counts.get(colour) ?? 0) + 1);
          }
          const pixels = data.length / 4;
          const commonest = Math.max(...counts.values());
          return { width: canvas.width, height: canvas.height, colours: counts.size, otherShare: 1 - commonest / pixels };
        }, png.toString("base64"));
        expect(figures.width).toBe(1280);
        expect(figures.height).toBe(800);
        expect(figures.colours).toBeGreaterThan(20);
        expect(figures.otherShare).toBeGreaterThanOrEqual(0.02);
      } finally {
        await viewer.close();
      }
    },
    TIMEOUT_MS,
  );

  test(
    "requested nothing but the gateway, refreshed itself, and threw no error",
    async () => {
      const { gateway, requests, pageErrors } = await setup();
      expect(requests.length).toBeGreaterThan(0);
      const elsewhere = requests.filter((url) => !url.startsWith(`${gateway.url}/`));
      expect(elsewhere).toEqual([]);
      expect(requests[0]).toBe(`${gateway.url}/status`);
      // The JSON is fetched relative to /status, and again every 2 s.
      expect(requests.filter((url) => url === `${gateway.url}/status/json`).length).toBeGreaterThanOrEqual(2);
      expect(pageErrors).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
