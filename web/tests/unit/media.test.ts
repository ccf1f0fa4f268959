import { describe, expect, it } from 'vitest'
import {
  checkUpload,
  displaySize,
  formatDuration,
  formatSize,
  isMediaKind,
  MAX_BYTES,
  microphoneError,
  previewText,
  recorderMimeType,
  uploadErrorReason,
  uploadKindOf,
  voiceFileName,
} from '../../app/utils/media'
import { ApiError } from '../../app/utils/apiError'
import { optimisticMessage } from '../../app/utils/messages'
import type { AttachmentDto } from '../../app/utils/types'

const attachment = (extra: Partial<AttachmentDto> = {}): AttachmentDto => ({
  id: 9,
  content_type: 'text/plain',
  size: 12,
  file_name: 'notes.txt',
  width: null,
  height: null,
  duration_ms: null,
  has_thumbnail: false,
  ...extra,
})

describe('uploadKindOf', () => {
  it('sends the four image types as photos and everything else as files', () => {
    for (const type of ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'IMAGE/PNG']) expect(uploadKindOf({ type })).toBe('image')
    for (const type of ['image/svg+xml', 'image/bmp', 'application/pdf', 'text/plain', '']) expect(uploadKindOf({ type })).toBe('file')
  })

  it('knows the media kinds', () => {
    expect(['image', 'file', 'voice'].every(isMediaKind)).toBe(true)
    expect(isMediaKind('text')).toBe(false)
  })
})

describe('formatSize', () => {
  it('uses B, KB, MB, GB with one decimal below 10', () => {
    expect(formatSize(0)).toBe('0 B')
    expect(formatSize(1023)).toBe('1023 B')
    expect(formatSize(1024)).toBe('1 KB')
    expect(formatSize(1536)).toBe('1.5 KB')
    expect(formatSize(12 * 1024 + 300)).toBe('12 KB')
    expect(formatSize(5 * 1024 * 1024)).toBe('5 MB')
    expect(formatSize(3.45 * 1024 * 1024)).toBe('3.5 MB')
    expect(formatSize(25 * 1024 * 1024)).toBe('25 MB')
    expect(formatSize(2 * 1024 ** 3)).toBe('2 GB')
    expect(formatSize(1024 * 1024 - 1)).toBe('1 MB')
  })
})

describe('formatDuration', () => {
  it('is m:ss, rounded down to whole seconds', () => {
    expect(formatDuration(0)).toBe('0:00')
    expect(formatDuration(null)).toBe('0:00')
    expect(formatDuration(999)).toBe('0:00')
    expect(formatDuration(1500)).toBe('0:01')
    expect(formatDuration(59_999)).toBe('0:59')
    expect(formatDuration(60_000)).toBe('1:00')
    expect(formatDuration(15 * 60_000)).toBe('15:00')
    expect(formatDuration(-5)).toBe('0:00')
  })
})

describe('displaySize', () => {
  it('keeps the aspect ratio within 320 px and never enlarges', () => {
    expect(displaySize(600, 400)).toEqual({ width: 320, height: 213 })
    expect(displaySize(400, 1000)).toEqual({ width: 128, height: 320 })
    expect(displaySize(100, 50)).toEqual({ width: 100, height: 50 })
    expect(displaySize(10_000, 1)).toEqual({ width: 320, height: 1 })
    expect(displaySize(600, 400, 160)).toEqual({ width: 160, height: 107 })
  })

  it('falls back to a square without dimensions', () => {
    expect(displaySize(null, null)).toEqual({ width: 320, height: 320 })
    expect(displaySize(0, 10)).toEqual({ width: 320, height: 320 })
  })
})

describe('previewText', () => {
  it('labels media messages without a caption', () => {
    expect(previewText({ kind: 'image', body: '' })).toBe('📷 Photo')
    expect(previewText({ kind: 'file', body: '', attachment: attachment() })).toBe('📎 notes.txt')
    expect(previewText({ kind: 'file', body: '', attachment: attachment({ file_name: null }) })).toBe('📎 File')
    // Sidebar rows come without the attachment.
    expect(previewText({ kind: 'file', body: '' })).toBe('📎 File')
    expect(previewText({ kind: 'voice', body: '' })).toBe('🎤 Voice message')
  })

  it('shows the caption or the text otherwise', () => {
    expect(previewText({ kind: 'image', body: 'Sunset' })).toBe('Sunset')
    expect(previewText({ kind: 'text', body: 'hi' })).toBe('hi')
  })
})

describe('upload errors', () => {
  it('refuses empty and too large files before uploading', () => {
    expect(checkUpload(10, 'image')).toBeNull()
    expect(checkUpload(MAX_BYTES.image, 'image')).toBeNull()
    expect(checkUpload(MAX_BYTES.image + 1, 'image')).toBe('it is too large (photos up to 10 MB)')
    expect(checkUpload(MAX_BYTES.image + 1, 'file')).toBeNull()
    expect(checkUpload(30 * 1024 * 1024, 'file')).toBe('it is too large (files up to 25 MB)')
    expect(checkUpload(6 * 1024 * 1024, 'voice')).toBe('it is too large (voice messages up to 5 MB)')
    expect(checkUpload(0, 'file')).toBe('the file is empty')
  })

  it('explains the server answers', () => {
    expect(uploadErrorReason(new ApiError(413, 'media_too_large', 'limited to 10 MiB'), 'image')).toBe('it is too large (photos up to 10 MB)')
    expect(uploadErrorReason(new ApiError(415, 'unsupported_media', 'x'), 'image')).toContain('PNG, JPEG, GIF and WebP')
    expect(uploadErrorReason(new ApiError(415, 'unsupported_media', 'x'), 'voice')).toBe('this format is not supported')
    expect(uploadErrorReason(new ApiError(422, 'invalid_media', 'the file is empty'), 'file')).toBe('the file could not be read (the file is empty)')
    expect(uploadErrorReason(new ApiError(429, 'rate_limited', 'slow down', [], 30), 'file')).toBe('Too many requests; try again in 30 s.')
    expect(uploadErrorReason(new ApiError(503, 'uploads_busy', 'x'), 'file')).toBe('the server is busy; try again in a moment')
    expect(uploadErrorReason(new ApiError(0, 'network', 'x'), 'file')).toBe('Cannot reach the server. Check your connection.')
    expect(uploadErrorReason(new Error('boom'), 'file')).toBe('boom')
  })
})

describe('voice recording', () => {
  it('prefers Opus in WebM, then what the browser has', () => {
    expect(recorderMimeType(() => true)).toBe('audio/webm;codecs=opus')
    expect(recorderMimeType((t) => t === 'audio/webm')).toBe('audio/webm')
    expect(recorderMimeType((t) => t.startsWith('audio/ogg'))).toBe('audio/ogg;codecs=opus')
    expect(recorderMimeType(() => false)).toBe('')
  })

  it('names the upload after the container', () => {
    expect(voiceFileName('audio/webm;codecs=opus')).toBe('voice.webm')
    expect(voiceFileName('audio/ogg;codecs=opus')).toBe('voice.ogg')
    expect(voiceFileName('')).toBe('voice.webm')
  })

  it('explains a refused microphone', () => {
    expect(microphoneError({ name: 'NotAllowedError' })).toContain('denied')
    expect(microphoneError({ name: 'NotFoundError' })).toBe('No microphone was found.')
    expect(microphoneError(new Error('odd'))).toBe('Cannot record: odd')
  })
})

describe('optimistic media message', () => {
  it('carries the kind and the upload', () => {
    const a = attachment()
    const m = optimisticMessage({ conversationId: 1, senderId: 2, clientId: 'c', body: '', media: { kind: 'file', attachment: a } })
    expect(m.kind).toBe('file')
    expect(m.attachment_id).toBe(9)
    expect(m.attachment).toEqual(a)
    const t = optimisticMessage({ conversationId: 1, senderId: 2, clientId: 'd', body: 'hi' })
    expect(t.kind).toBe('text')
    expect(t.attachment_id).toBeNull()
    expect(t.attachment).toBeUndefined()
  })
})
