import { defineConfig, devices } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// The tests start their own server (the release build unless DOABLE_BIN says otherwise) on a
// fresh SQLite database, or use BASE_URL when it is given.
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = process.env.BASE_URL ?? `http://127.0.0.1:${port}`;
const root = resolve(__dirname, '..');
const dataDir = mkdtempSync(join(tmpdir(), 'doable-e2e-'));
const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: process.env.CI ? 2 : undefined,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'], channel: undefined } }],
  webServer: process.env.BASE_URL
    ? undefined
    : {
        command: process.env.DOABLE_BIN ?? join(root, 'target/release/doable'),
        cwd: root,
        url: `${baseURL}/readyz`,
        reuseExistingServer: false,
        timeout: 30_000,
        stdout: 'ignore',
        stderr: 'pipe',
        env: {
          LEPTOS_SITE_ROOT: join(root, 'target/site'),
          LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
          DOABLE_DATA_DIR: dataDir,
          DOABLE_SIGNUP_LIMIT: '10000',
          // Bulk changes of more than 20 tasks go on in the background, as 2,000 do by default.
          DOABLE_BULK_BATCH: '20',
          RUST_LOG: 'warn',
        },
      },
});
