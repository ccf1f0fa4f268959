import { defineConfig } from 'vitest/config'

// Unit tests of the pure store logic in app/utils: no Nuxt, no DOM, no network.
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
  },
})
