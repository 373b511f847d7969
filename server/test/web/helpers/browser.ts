// Debian's chromium driven by playwright-core: no browser download, a fresh profile per run.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface Browser {
  context: BrowserContext;
  close: () => Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run server/scripts/ensure-chromium.sh (make test does it)`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'lens-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// The dashboard's Content-Security-Policy forbids eval, so page.waitForFunction with a string
// predicate fails there; these wait through locators (evaluated outside the page's CSP) or by
// polling from the test.

/** Resolves once the workload page has drawn its charts (body[data-charts-drawn-ms]). */
export async function chartsDrawn(page: Page, timeoutMs: number): Promise<void> {
  await page.locator('body[data-charts-drawn-ms]').waitFor({ state: 'attached', timeout: timeoutMs });
}

/** Polls `check` every 50 ms until it holds; throws after `timeoutMs`. */
export async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Makes every Content-Security-Policy violation a console error ("CSP violation: …"). */
export async function reportCspViolations(page: Page): Promise<void> {
  await page.addInitScript(
    "document.addEventListener('securitypolicyviolation', " +
      "(e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))",
  );
}
