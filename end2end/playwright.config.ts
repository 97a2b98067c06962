import { defineConfig } from '@playwright/test';

// Debian's Chromium, never a downloaded browser (these machines reach only package registries).
// Each test file starts its own Tessera on a fresh temporary database (see tests/fixtures.ts).
export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 2,
  retries: 0,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    // Once hydrated, the dashboard writes times in the browser's time zone: the tests read them in UTC
    // (shownDate, parseShownDateTime) unless a test chooses another zone.
    timezoneId: 'UTC',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
