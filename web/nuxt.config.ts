// Nuxt 4 single-page app (no SSR): nginx serves .output/public and proxies /api and /ws.
// Nothing here downloads at build or run time (no font, icon or telemetry modules).
import tailwindcss from '@tailwindcss/vite'

const api = process.env.CHAT_DEV_API ?? 'http://127.0.0.1:8080'
const ws = process.env.CHAT_DEV_WS ?? 'http://127.0.0.1:8091'

export default defineNuxtConfig({
  compatibilityDate: '2026-01-01',
  ssr: false,
  telemetry: false,
  devtools: { enabled: false },
  // @nuxt/eslint writes .nuxt/eslint.config.mjs (the rules for this project's files) for eslint.config.mjs.
  modules: ['@pinia/nuxt', '@nuxt/eslint'],
  css: ['~/assets/css/main.css'],
  app: {
    head: {
      title: 'Chat',
      htmlAttrs: { lang: 'en' },
      meta: [
        { name: 'viewport', content: 'width=device-width, initial-scale=1, viewport-fit=cover' },
        { name: 'color-scheme', content: 'light dark' },
      ],
      link: [{ rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }],
    },
  },
  experimental: {
    // The static site has no payload/app-manifest files worth fetching.
    appManifest: false,
  },
  vite: {
    plugins: [tailwindcss()],
  },
  nitro: {
    // `npm run dev`: same-origin /api and /ws, as behind nginx.
    devProxy: {
      '/api': { target: `${api}/api`, changeOrigin: true },
      // Nitro strips the route prefix from upgrade URLs, and the ws-server answers only /ws
      // (not /ws/), so in dev the client opens /_dev-ws/ws (see composables/useSocket.ts).
      '/_dev-ws': {
        target: ws,
        ws: true,
        changeOrigin: true,
        // The ws-server only accepts the Origins in its ALLOWED_ORIGINS (the nginx ones by
        // default); the dev server's own origin (localhost:3000) is not among them.
        headers: { origin: process.env.CHAT_DEV_WS_ORIGIN ?? 'http://localhost:8000' },
      },
    },
  },
})
