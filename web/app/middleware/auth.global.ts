// Every page needs a session except those marked `public` (login, register).
export default defineNuxtRouteMiddleware(async (to) => {
  const auth = useAuthStore()
  await auth.restore()
  if (to.meta.public) {
    if (auth.isAuthenticated && (to.path === '/login' || to.path === '/register')) return navigateTo('/')
    return
  }
  if (!auth.isAuthenticated) {
    return navigateTo({ path: '/login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} })
  }
})
