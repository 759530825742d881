/**
 * `node bench/micro/client-headers.ts`: the response headers of bench/servers/upstream.ts's
 * /small as undici hands them to the proxy (its parser's raw Buffers and the object it decoded),
 * turned into the client's list by clientHeaders, against decoding every name and value of the
 * raw list with Buffer.toString, the plain way to keep the app's spelling. ns per response.
 */
import { clientHeaders } from '../../proxy/forward/headers.ts'
import { spread } from '../lib/stats.ts'

const LINES = [['content-type', 'text/plain'], ['content-length', '12'], ['Date', 'Sun, 06 Dec 2026 02:16:03 GMT'], ['Connection', 'keep-alive'], ['Keep-Alive', 'timeout=5']] as const
// Views into one buffer, as undici's parser gives them.
const wire = Buffer.from(LINES.flat().join(''), 'latin1')
const raw: Buffer[] = []
for (let at = 0, i = 0; i < LINES.length * 2; i++) {
  const length = (LINES[i >> 1] as readonly string[])[i & 1]?.length ?? 0
  raw.push(wire.subarray(at, at + length))
  at += length
}
const parsed = Object.fromEntries(LINES.map(([name, value]) => [name.toLowerCase(), value]))
const requestId = '0123456789abcdef0123456789abcdef'

function decodeEvery (): string[] {
  const out: string[] = []
  for (const bytes of raw) out.push(bytes.toString('latin1'))
  return out
}

let sink = 0
function nsPerCall (run: () => string[]): number {
  const calls = 1_000_000
  const rounds: number[] = []
  for (let round = 0; round < 7; round++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < calls; i++) sink += run().length
    rounds.push(Number(process.hrtime.bigint() - start) / calls)
  }
  return spread(rounds.slice(2)).median // the first rounds warm up
}

const figures = { clientHeaders: nsPerCall(() => clientHeaders(raw, parsed, requestId)), decodeEvery: nsPerCall(decodeEvery) }
process.stdout.write(`${JSON.stringify({ ...figures, sink: sink > 0 })}\n`)
