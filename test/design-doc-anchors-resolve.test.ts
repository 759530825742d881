import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { test } from 'node:test'

const root = new URL('../', import.meta.url)
const design = readFileSync(new URL('docs/design.md', root), 'utf8')
const anchors = new Set([...design.matchAll(/<a id="([\w-]+)"><\/a>/g)].map((m) => m[1]))

/** The repository's own text files: not what npm installs or the build writes. */
function sourceFiles (): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((path) => !/^(node_modules|dist|\.git|test-results)(\/|$)/.test(path) && /\.(ts|js|md|ya?ml)$|(^|\/)(Dockerfile|run)$/.test(path))
}

test('a reader who follows a comment\'s link into docs/design.md lands on its section', () => {
  const broken: string[] = []
  for (const path of sourceFiles()) {
    const text = readFileSync(new URL(path, root), 'utf8')
    for (const [, anchor] of text.matchAll(/design\.md#([\w-]+)/g)) if (!anchors.has(anchor ?? '')) broken.push(`${path}: #${anchor ?? ''}`)
  }
  for (const [, anchor] of design.matchAll(/\]\(#([\w-]+)\)/g)) if (!anchors.has(anchor ?? '')) broken.push(`docs/design.md's contents: #${anchor ?? ''}`)
  assert.ok(anchors.size > 0, 'docs/design.md has sections with anchors')
  assert.deepEqual(broken, [], `links to no section of docs/design.md:\n${broken.join('\n')}`)
})
