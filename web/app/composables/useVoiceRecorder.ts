// Records a voice note from the microphone with MediaRecorder (Opus in WebM where supported).
// `stop()` hands the recording to `onRecorded`; `cancel()` drops it. The microphone is released
// either way, and when the component using it unmounts.

import { microphoneError, recorderMimeType, VOICE_MAX_MS } from '~/utils/media'

export type RecorderState = 'idle' | 'starting' | 'recording'

export function useVoiceRecorder(onRecorded: (audio: Blob, mimeType: string) => void) {
  const state = ref<RecorderState>('idle')
  /** Milliseconds recorded so far (updated a few times a second). */
  const elapsed = ref(0)
  let recorder: MediaRecorder | null = null
  let timer: ReturnType<typeof setInterval> | null = null
  /** Whether the recording in progress is sent when it stops (false: cancelled). */
  let keep = false
  /** Counts start() calls: a permission answer for an abandoned start is dropped. */
  let attempt = 0

  function stopTimer() {
    if (timer) clearInterval(timer)
    timer = null
    elapsed.value = 0
  }

  /** Asks for the microphone and starts; throws an Error with a sentence for the user. */
  async function start() {
    if (state.value !== 'idle') return
    if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === 'undefined') {
      throw new Error('This browser cannot record audio here (it needs a secure https page).')
    }
    const mine = ++attempt
    state.value = 'starting'
    let mic: MediaStream
    try {
      mic = await navigator.mediaDevices.getUserMedia({ audio: true })
    } catch (e) {
      if (mine === attempt) state.value = 'idle'
      throw new Error(microphoneError(e), { cause: e })
    }
    const release = () => mic.getTracks().forEach((t) => t.stop())
    // Cancelled (or unmounted) while the browser asked for permission.
    if (mine !== attempt || state.value !== 'starting') return release()

    const mimeType = recorderMimeType((t) => MediaRecorder.isTypeSupported(t))
    const rec = new MediaRecorder(mic, { audioBitsPerSecond: 32_000, ...(mimeType ? { mimeType } : {}) })
    const chunks: Blob[] = []
    rec.ondataavailable = (e) => {
      if (e.data.size > 0) chunks.push(e.data)
    }
    rec.onstop = () => {
      release()
      stopTimer()
      recorder = null
      state.value = 'idle'
      const type = rec.mimeType || mimeType || 'audio/webm'
      if (keep && chunks.length) onRecorded(new Blob(chunks, { type }), type)
    }
    recorder = rec
    keep = false
    rec.start()
    const startedAt = Date.now()
    timer = setInterval(() => {
      elapsed.value = Date.now() - startedAt
      if (elapsed.value >= VOICE_MAX_MS) stop()
    }, 200)
    state.value = 'recording'
  }

  function finish(send: boolean) {
    if (state.value === 'starting') {
      attempt++
      state.value = 'idle'
    } else if (recorder?.state === 'recording') {
      keep = send
      recorder.stop()
    }
  }

  const stop = () => finish(true)
  const cancel = () => finish(false)
  onBeforeUnmount(cancel)

  return { state, elapsed, start, stop, cancel }
}
