import { defineConfig } from '@playwright/test'

// End-to-end specs of the web client against the native local cluster
// (deploy/local/cluster.sh up): nginx on CHAT_URL serving web/.output/public, /api and /ws.
// The browser is Debian's Chromium; Playwright never downloads one.
export default defineConfig({
  testDir: './specs',
  outputDir: './test-results',
  // The specs share one cluster and one of them kills a ws replica: one at a time.
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    baseURL: process.env.CHAT_URL ?? 'http://localhost:8000',
    headless: true,
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
})
