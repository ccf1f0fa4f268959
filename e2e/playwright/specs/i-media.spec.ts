// Media: Ann sends a photo, a text file and a voice note through the composer; Ben sees each
// live (thumbnail, original in the viewer, file name/size and download, audio with its
// duration) and his sidebar previews them. A file that is not an image is refused with a toast.
import { expect, test, type Page } from '@playwright/test'
import { deflateSync } from 'node:zlib'
import config from '../playwright.config'
import { apiPost, contextFor, registerApi, screenshotPath, waitConnected } from './helpers'

// A fake microphone (a beep) that needs no permission prompt, on top of the usual flags.
const launch = config.use?.launchOptions ?? {}
test.use({
  launchOptions: { ...launch, args: [...(launch.args ?? []), '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'] },
})

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(buf: Buffer): number {
  let c = 0xffffffff
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([len, body, crc])
}

/** A real, decodable RGB PNG of the given size (a colour gradient). */
function png(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr.set([8, 2, 0, 0, 0], 8) // 8-bit, truecolour, deflate, no filter, no interlace
  const raw = Buffer.alloc((width * 3 + 1) * height)
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1) // each row starts with filter type 0
    for (let x = 0; x < width; x++) raw.set([(x * 255) / width, (y * 255) / height, 160], row + 1 + x * 3)
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
}

const naturalWidth = (page: Page, testId: string) =>
  page.getByTestId(testId).evaluate((img) => (img as HTMLImageElement).naturalWidth)

test('photos, files and voice notes reach the other user', async ({ browser, request }) => {
  const [ann, ben] = await Promise.all([registerApi(request, 'ann', 'Ann'), registerApi(request, 'ben', 'Ben')])
  const dm = await apiPost(request, ann, '/conversations/direct', { user_id: ben.id })
  const [a, b] = await Promise.all(
    [ann, ben].map(async (s) => {
      const page = await (await contextFor(browser, s)).newPage()
      await page.goto(`/c/${dm.id}`)
      await waitConnected(page)
      return page
    }),
  )
  const benRow = b!.getByTestId(`conversation-${dm.id}`)

  // A photo: Ben gets the 320 px thumbnail live, in a box of the right shape, and the 600 px
  // original in the viewer.
  await a!.getByTestId('file-input').setInputFiles({ name: 'gradient.png', mimeType: 'image/png', buffer: png(600, 400) })
  const mine = a!.getByTestId('message').filter({ has: a!.getByTestId('message-image') })
  await expect(mine.getByTestId('tick')).not.toHaveAttribute('data-state', /sending|failed/)
  const thumb = b!.getByTestId('message-image')
  await expect(thumb).toBeVisible()
  await expect.poll(() => naturalWidth(b!, 'message-image')).toBe(320)
  const box = await thumb.boundingBox()
  expect(Math.round(box!.width)).toBe(320)
  expect(Math.round(box!.height)).toBe(213)
  await expect(benRow).toContainText('📷 Photo')
  await thumb.click()
  const viewer = b!.getByTestId('image-viewer')
  await expect(viewer).toBeVisible()
  await expect.poll(() => naturalWidth(b!, 'image-original')).toBe(600)
  await b!.keyboard.press('Escape')
  await expect(viewer).toHaveCount(0)

  // A text file: name and size, and Download saves it under its name.
  const text = 'Meeting notes.\n'.repeat(120) // 1800 bytes
  await a!.getByTestId('file-input').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from(text) })
  const file = b!.getByTestId('message-file')
  await expect(file.getByTestId('file-name')).toHaveText('notes.txt')
  await expect(file.getByTestId('file-size')).toHaveText('1.8 KB')
  await expect(benRow).toContainText('📎 notes.txt')
  const [download] = await Promise.all([b!.waitForEvent('download'), file.getByRole('button', { name: 'Download notes.txt' }).click()])
  expect(download.suggestedFilename()).toBe('notes.txt')
  const saved = await download.createReadStream()
  let bytes = ''
  for await (const part of saved) bytes += part.toString()
  expect(bytes).toBe(text)

  // Not an image after all: refused with a toast, nothing is sent.
  await a!.getByTestId('file-input').setInputFiles({ name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') })
  await expect(a!.getByRole('alert').filter({ hasText: 'Could not send “fake.png”' })).toBeVisible()
  await expect(a!.getByTestId('message')).toHaveCount(2)

  // A voice note from the fake microphone: Ben gets a player and the measured duration.
  await a!.getByRole('button', { name: 'Record voice message' }).click()
  await expect(a!.getByTestId('recording-time')).toBeVisible()
  await a!.waitForTimeout(1_500)
  await a!.getByRole('button', { name: 'Stop and send voice message' }).click()
  await expect(a!.getByTestId('recorder')).toHaveCount(0)
  const audio = b!.locator('audio[data-testid=message-voice]')
  await expect(audio).toHaveAttribute('src', /^blob:/)
  await expect(b!.getByTestId('voice-duration')).toHaveText(/^0:0[12]$/)
  await expect(benRow).toContainText('🎤 Voice message')
  await expect(b!.getByTestId('message')).toHaveCount(3)

  await b!.screenshot({ path: screenshotPath('media.png') })
})
