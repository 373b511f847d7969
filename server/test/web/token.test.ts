// With LENS_API_TOKEN set, the shell still loads, the API answers 401, and the dashboard shows an
// explicit error state with a token form that tells a missing token from a wrong one; the right
// token unlocks the (empty) list.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { launchBrowser, type Browser } from "./helpers/browser.js";
import { ensureWebBuilt } from "./helpers/web-build.js";
import { SERVER_ROOT, startRealServer, type RealServer } from "./helpers/real-server.js";

const TOKEN = "s3cret-dashboard-token";

describe("dashboard on a server that requires a token", () => {
  let server: RealServer;
  let browser: Browser;

  before(async () => {
    await ensureWebBuilt();
    server = await startRealServer({ LENS_API_TOKEN: TOKEN });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("asks for the token, says a wrong one is rejected, then shows the empty state", { timeout: 20_000 }, async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.baseUrl}/`);
    const error = page.locator('.state[data-state="error"]');
    await error.waitFor({ timeout: 10_000 });
    assert.match(await error.textContent() ?? "", /requires an API token/);

    // A wrong token must not be answered with "requires a token": the user has one, it is wrong.
    await page.locator('.token-form input[type="password"]').fill("not-the-token");
    await page.locator(".token-form button").click();
    await page.locator('.state[data-state="error"]', { hasText: "Token rejected" }).waitFor({ timeout: 10_000 });
    assert.doesNotMatch(await page.locator('.state[data-state="error"]').textContent() ?? "", /requires an API token/);
    mkdirSync(join(SERVER_ROOT, "test-artifacts"), { recursive: true });
    await page.screenshot({ path: join(SERVER_ROOT, "test-artifacts", "dashboard-token-rejected.png") });

    await page.locator('.token-form input[type="password"]').fill(TOKEN);
    await page.locator(".token-form button").click();
    const empty = page.locator('.state[data-state="empty"]');
    await empty.waitFor({ timeout: 10_000 });
    assert.match(await empty.textContent() ?? "", /No workloads yet/);
    assert.match(await empty.textContent() ?? "", new RegExp(`PRIMUS_LENS_API_BASE_URL=${server.baseUrl}/api/v1`));
    await page.close();
  });
});
