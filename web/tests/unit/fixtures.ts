// Test data shared by the unit tests.
import type { MessageDto } from '../../app/utils/types'

export const PEER = 2

/** A stored message from PEER in conversation 7 (id 100 + seq). */
export function message(seq: number, extra: Partial<MessageDto> = {}): MessageDto {
  return {
    id: 100 + seq,
    conversation_id: 7,
    seq,
    sender_id: PEER,
    client_id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    kind: 'text',
    body: `m${seq}`,
    attachment_id: null,
    reply_to_id: null,
    edited_at: null,
    deleted_at: null,
    created_at: '2026-01-01T10:00:00Z',
    reactions: [],
    change_version: 0,
    ...extra,
  }
}
