// Pure helpers of the media UI: which kind an upload is, sizes and durations as text, the box an
// image takes before it loads, previews of media messages and upload error sentences.

import { ApiError, describeError } from './apiError'
import type { MediaKind, MessageDto } from './types'

/** Images the server accepts as kind `image` (anything else is sent as a file). */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp']

/** Largest upload per kind (the server checks the same limits). */
export const MAX_BYTES: Record<MediaKind, number> = {
  image: 10 * 1024 * 1024,
  voice: 5 * 1024 * 1024,
  file: 25 * 1024 * 1024,
}

/** Longest voice note (the recorder stops there). */
export const VOICE_MAX_MS = 15 * 60 * 1000

/** Thumbnails are at most this many pixels a side. */
export const THUMB_MAX = 320

export function isMediaKind(kind: string): kind is MediaKind {
  return kind === 'image' || kind === 'file' || kind === 'voice'
}

/** A picked file is sent as a photo when it is one of the image types, otherwise as a file. */
export function uploadKindOf(file: Pick<File, 'type'>): 'image' | 'file' {
  return IMAGE_TYPES.includes(file.type.toLowerCase()) ? 'image' : 'file'
}

/** 512 B, 1.5 KB, 12 KB, 5 MB (binary units, one decimal below 10). */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${Math.max(0, Math.round(bytes))} B`
  // Number() drops a trailing .0 (5 MB, not 5.0 MB).
  const round = (x: number) => Number(x.toFixed(x < 10 ? 1 : 0))
  const units = ['KB', 'MB', 'GB']
  let n = bytes / 1024
  let i = 0
  while (round(n) >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return `${round(n)} ${units[i]}`
}

/** m:ss of a duration in milliseconds (whole seconds, rounded down like a player's clock). */
export function formatDuration(ms: number | null | undefined): string {
  const total = Math.max(0, Math.floor((ms ?? 0) / 1000))
  const m = Math.floor(total / 60)
  const s = total % 60
  return `${m}:${String(s).padStart(2, '0')}`
}

/** The box an image is shown in: its aspect ratio, at most `max` px a side, never enlarged. */
export function displaySize(width: number | null, height: number | null, max = THUMB_MAX): { width: number; height: number } {
  if (!width || !height || width <= 0 || height <= 0) return { width: max, height: max }
  const scale = Math.min(1, max / Math.max(width, height))
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) }
}

/** One line for a message in the sidebar, a reply quote or a notification. */
export function previewText(m: Pick<MessageDto, 'kind' | 'body' | 'attachment'>): string {
  if (m.body) return m.body
  switch (m.kind) {
    case 'image':
      return '📷 Photo'
    case 'file':
      return `📎 ${m.attachment?.file_name || 'File'}`
    case 'voice':
      return '🎤 Voice message'
    default:
      return m.body
  }
}

/** Why a file cannot be uploaded before trying (too large), or null. */
export function checkUpload(size: number, kind: MediaKind): string | null {
  if (size === 0) return 'the file is empty'
  if (size > MAX_BYTES[kind]) return tooLarge(kind)
  return null
}

function tooLarge(kind: MediaKind): string {
  const what = { image: 'photos', voice: 'voice messages', file: 'files' }[kind]
  return `it is too large (${what} up to ${formatSize(MAX_BYTES[kind])})`
}

/** The reason an upload failed, for a toast: "Could not send photo.png: <reason>". */
export function uploadErrorReason(e: unknown, kind: MediaKind): string {
  if (!(e instanceof ApiError)) return describeError(e)
  switch (e.code) {
    case 'media_too_large':
      return tooLarge(kind)
    case 'media_quota_exceeded':
      // The server says what is used and the limit.
      return e.message
    case 'unsupported_media':
      return kind === 'image' ? 'only PNG, JPEG, GIF and WebP images can be sent as photos' : 'this format is not supported'
    case 'invalid_media':
      return `the file could not be read (${e.message})`
    case 'uploads_busy':
      return 'the server is busy; try again in a moment'
    default:
      return describeError(e)
  }
}

/** The recording format: Opus in WebM when the browser can, else what it offers. */
export function recorderMimeType(isSupported: (type: string) => boolean): string {
  for (const t of ['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus']) if (isSupported(t)) return t
  return ''
}

/** A name for the recorded voice note's upload. */
export function voiceFileName(mimeType: string): string {
  return mimeType.startsWith('audio/ogg') ? 'voice.ogg' : 'voice.webm'
}

/** A sentence for a failed getUserMedia (by the error's name), for a toast. */
export function microphoneError(e: unknown): string {
  switch ((e as { name?: string } | null)?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Microphone access was denied. Allow it in the browser to record voice messages.'
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No microphone was found.'
    case 'NotReadableError':
      return 'The microphone is in use by another application.'
    default:
      return `Cannot record: ${e instanceof Error ? e.message : String(e)}`
  }
}
