// The administration area: the reports queue, the users list (with the decisions taken on
// them) and the accounts flood control paused. Every request is checked by the server (403 admin_only for everyone else); `forbidden`
// remembers such an answer so the page can say so.

import { defineStore } from 'pinia'
import type { AbuseFlagsPage, AdminOverview, AdminUsersPage, ReportsPage } from '~/utils/types'
import { api } from '~/composables/useApi'
import { ApiError } from '~/utils/apiError'
import { appendPage, applyDecision, applyUser, withSender, type Decision, type ReportStatus } from '~/utils/admin'

const PAGE_SIZE = 30

// Bumped by every first-page load, so an older answer (other filter, earlier keystroke) is dropped.
let reportsSeq = 0
let usersSeq = 0
let flagsSeq = 0
// Users changed here (suspended, reinstated) while a page of users was on its way: the page may
// predate the change, so the change is applied to it again.
let userEdits: { seq: number; user: AdminUserDto }[] = []
let userEditSeq = 0

export const useAdminStore = defineStore('admin', {
  state: () => ({
    /** The server answered 403 admin_only. */
    forbidden: false,
    reportStatus: 'open' as ReportStatus,
    reports: [] as ReportDto[],
    reportsNext: null as number | null,
    reportsLoading: false,
    reportsLoaded: false,
    userQuery: '',
    suspendedOnly: false,
    users: [] as AdminUserDto[],
    usersNext: null as number | null,
    usersLoading: false,
    usersLoaded: false,
    flags: [] as AbuseFlagDto[],
    flagsNext: null as number | null,
    flagsLoading: false,
    flagsLoaded: false,
    overview: null as AdminOverview | null,
    overviewLoading: false,
  }),
  actions: {
    /** Runs an admin request; a 403 admin_only sets `forbidden` (and is thrown on). */
    async guard<T>(fn: () => Promise<T>): Promise<T> {
      try {
        return await fn()
      } catch (e) {
        if (e instanceof ApiError && e.code === 'admin_only') this.forbidden = true
        throw e
      }
    },

    /** The overview: counts, messages per day, media, every node's health. */
    async loadOverview() {
      this.overviewLoading = true
      try {
        this.overview = await this.guard(() => api.get<AdminOverview>('/admin/overview'))
      } finally {
        this.overviewLoading = false
      }
    },

    /** The first page of the queue (with `more`: the next one). */
    async loadReports(more = false) {
      if (more && this.reportsNext === null) return
      const seq = more ? reportsSeq : ++reportsSeq
      this.reportsLoading = true
      try {
        const page = await this.guard(() =>
          api.get<ReportsPage>('/admin/reports', {
            query: { status: this.reportStatus, after: more ? this.reportsNext : undefined, limit: PAGE_SIZE },
          }),
        )
        if (seq !== reportsSeq) return
        this.reports = more ? appendPage(this.reports, page.items, (r) => r.id) : page.items
        this.reportsNext = page.next_after
        this.reportsLoaded = true
      } finally {
        if (seq === reportsSeq) this.reportsLoading = false
      }
    },

    async setReportStatus(status: ReportStatus) {
      this.reportStatus = status
      this.reports = []
      this.reportsNext = null
      this.reportsLoaded = false
      await this.loadReports()
    },

    async resolve(report: ReportDto, decision: Decision) {
      const resolved = await this.guard(() => api.post<ReportDto>(`/admin/reports/${report.id}/resolve`, { decision }))
      this.reports = applyDecision(this.reports, resolved, this.reportStatus)
      this.updated(resolved.sender)
      return resolved
    },

    async loadUsers(more = false) {
      if (more && this.usersNext === null) return
      const seq = more ? usersSeq : ++usersSeq
      const since = userEditSeq
      this.usersLoading = true
      try {
        const page = await this.guard(() =>
          api.get<AdminUsersPage>('/admin/users', {
            query: {
              q: this.userQuery.trim().replace(/^@/, '') || undefined,
              suspended: this.suspendedOnly ? 'true' : undefined,
              after: more ? this.usersNext : undefined,
              limit: PAGE_SIZE,
            },
          }),
        )
        if (seq !== usersSeq) return
        let items = page.items
        for (const e of userEdits) if (e.seq > since) items = applyUser(items, e.user, this.suspendedOnly)
        this.users = more ? appendPage(this.users, items, (u) => u.user.id) : items
        this.usersNext = page.next_after
        this.usersLoaded = true
      } finally {
        if (seq === usersSeq) this.usersLoading = false
      }
    },

    /** Flood-control flags, newest first (with `more`: the next page). */
    async loadFlags(more = false) {
      if (more && this.flagsNext === null) return
      const seq = more ? flagsSeq : ++flagsSeq
      this.flagsLoading = true
      try {
        const page = await this.guard(() =>
          api.get<AbuseFlagsPage>('/admin/flags', { query: { before: more ? this.flagsNext : undefined, limit: PAGE_SIZE } }),
        )
        if (seq !== flagsSeq) return
        this.flags = more ? appendPage(this.flags, page.items, (f) => f.id) : page.items
        this.flagsNext = page.next_before
        this.flagsLoaded = true
      } finally {
        if (seq === flagsSeq) this.flagsLoading = false
      }
    },

    async suspend(userId: number, reason: string) {
      this.updated(await this.guard(() => api.post<AdminUserDto>(`/admin/users/${userId}/suspend`, { reason })))
    },

    async unsuspend(userId: number) {
      this.updated(await this.guard(() => api.post<AdminUserDto>(`/admin/users/${userId}/unsuspend`)))
    },

    /** A user's new state, in both lists. */
    updated(user: AdminUserDto) {
      userEdits = [...userEdits.slice(-19), { seq: ++userEditSeq, user }]
      this.users = applyUser(this.users, user, this.suspendedOnly)
      this.reports = withSender(this.reports, user)
    },
  },
})
