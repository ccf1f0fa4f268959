// Message search results: the server marks each match in a snippet with U+0002 ... U+0003.
// Splitting on them yields plain text parts that Vue renders escaped, so a message's own
// text can never inject markup.

export interface SnippetPart {
  text: string
  match: boolean
}

export function snippetParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = []
  for (const [i, piece] of snippet.split('\u0002').entries()) {
    if (i === 0) {
      if (piece) parts.push({ text: piece, match: false })
      continue
    }
    const end = piece.indexOf('\u0003')
    const [hit, rest] = end < 0 ? [piece, ''] : [piece.slice(0, end), piece.slice(end + 1)]
    if (hit) parts.push({ text: hit, match: true })
    if (rest) parts.push({ text: rest, match: false })
  }
  return parts
}
