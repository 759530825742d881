/**
 * Django session records made by the real Python: the session dict that
 * django.contrib.sessions.backends.cache stores, pickled as Django's RedisCache
 * and django-redis do (`pickle.dumps(session, protocol)`; only a bare int is left
 * unpickled, and a session is a dict).
 */
import { spawnSync } from 'node:child_process'

/** What a logged-in user's session holds (django.contrib.auth.login). */
export function djangoSession (userId: string): Record<string, unknown> {
  return {
    _auth_user_id: userId,
    _auth_user_backend: 'django.contrib.auth.backends.ModelBackend',
    _auth_user_hash: 'a'.repeat(64),
  }
}

/** Runs python3 with `script`, which prints hex lines; returns them as bytes. */
export function python (script: string): Buffer[] {
  const result = spawnSync('python3', ['-c', script], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`python3 failed: ${result.stderr}`)
  return result.stdout.trim().split('\n').map((line) => Buffer.from(line, 'hex'))
}

/**
 * `session` (JSON-able, plus the Python literals in `extra`, e.g. `'cart': (1, 2.5, None)`)
 * pickled by python3 with `protocol`.
 */
export function pickleSession (session: Record<string, unknown>, protocol: number, extra = ''): Buffer {
  const [bytes] = python(`
import json, pickle
session = json.loads(${JSON.stringify(JSON.stringify(session))})
session.update({${extra}})
print(pickle.dumps(session, ${protocol}).hex())
`)
  if (bytes === undefined) throw new Error('python3 printed nothing')
  return bytes
}

/** A session dict holding an object whose __reduce__ runs `touch <path>` when unpickled, at `protocol`. */
export function hostilePickle (path: string, protocol: number): Buffer {
  const [bytes] = python(`
import os, pickle
class Exploit:
    def __reduce__(self):
        return (os.system, (${JSON.stringify(`touch ${path}`)},))
print(pickle.dumps({'_auth_user_id': '1', 'x': Exploit()}, ${protocol}).hex())
`)
  if (bytes === undefined) throw new Error('python3 printed nothing')
  return bytes
}

/** Unpickles `bytes` with the real python3, as Django would (used to show a hostile pickle is really hostile). */
export function unpickleInPython (bytes: Buffer): void {
  python(`import pickle; pickle.loads(bytes.fromhex(${JSON.stringify(bytes.toString('hex'))})); print('')`)
}
