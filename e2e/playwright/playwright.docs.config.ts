import { defineConfig } from '@playwright/test'
import base from './playwright.config'

// The screenshots of the documentation (docs/*.png), made on demand, not by `make test`:
//   e2e/run-browser-tests.sh --config playwright.docs.config.ts
export default defineConfig({ ...base, testDir: './docs' })
