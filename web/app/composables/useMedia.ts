// Media of messages: uploads, and downloads as object URLs. The API needs the token, so an
// <img src> cannot point at /api/media directly: the bytes are fetched as a Blob and shown
// through URL.createObjectURL. Those URLs are cached for the session (media never changes) and
// revoked on sign-out (forgetMedia, called when the session's stores are reset).

import { api } from '~/composables/useApi'
import type { AttachmentDto, MediaKind } from '~/utils/types'

export interface MediaRef {
  id: number
  /** The <=320 px thumbnail instead of the original (images only). */
  thumb: boolean
}

/** `/media/{id}` or `/media/{id}/thumb` -> its object URL (a promise: parallel asks share a fetch). */
const urls = new Map<string, Promise<string>>()

function mediaPath(r: MediaRef): string {
  return r.thumb ? `/media/${r.id}/thumb` : `/media/${r.id}`
}

function cachedUrl(path: string): Promise<string> {
  let p = urls.get(path)
  if (!p) {
    const fetched = api.blob(path).then((b) => URL.createObjectURL(b))
    // A failure is not cached: the next ask tries again.
    fetched.catch(() => {
      if (urls.get(path) === fetched) urls.delete(path)
    })
    urls.set(path, fetched)
    p = fetched
  }
  return p
}

/** Revokes every cached object URL (also those still being fetched, once they arrive). */
export function forgetMedia() {
  for (const p of urls.values()) p.then(URL.revokeObjectURL, () => {})
  urls.clear()
}

/** Uploads a file as `kind`; the answer is what to send in a message of that kind. */
export function uploadMedia(file: Blob, kind: MediaKind, fileName: string): Promise<AttachmentDto> {
  const form = new FormData()
  form.append('file', file, fileName)
  return api.upload<AttachmentDto>('/media', form, { query: { kind } })
}

/** Downloads the original and hands it to the browser as a download named like the upload. */
export async function saveMedia(a: AttachmentDto) {
  const href = URL.createObjectURL(await api.blob(`/media/${a.id}`))
  const link = document.createElement('a')
  link.href = href
  link.download = a.file_name || 'download'
  document.body.append(link)
  link.click()
  link.remove()
  // The download has started from the URL; give the browser time before dropping the bytes.
  setTimeout(() => URL.revokeObjectURL(href), 60_000)
}

/** The object URL of a piece of media for a template (null while loading or when `source` is null). */
export function useMediaUrl(source: () => MediaRef | null) {
  const url = ref<string | null>(null)
  const failed = ref(false)
  const path = computed(() => {
    const r = source()
    return r ? mediaPath(r) : null
  })
  watch(
    path,
    async (p) => {
      url.value = null
      failed.value = false
      if (!p) return
      try {
        const u = await cachedUrl(p)
        if (path.value === p) url.value = u
      } catch {
        if (path.value === p) failed.value = true
      }
    },
    { immediate: true },
  )
  return { url, failed }
}

export function useMedia() {
  return { upload: uploadMedia, save: saveMedia }
}
