import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redactor } from '../core/redact.ts'
import { REDACTED } from '../core/record.ts'

const redactor = new Redactor()

test('a value under a sensitive name is hidden whatever it looks like, case-insensitively', () => {
  for (const name of ['Authorization', 'Cookie', 'Set-Cookie', 'X-Api-Key', 'csrftoken', 'sessionid', 'STRIPE_SECRET_KEY', 'db_password', 'X-Hub-Signature',
    'card_number', 'jwt', 'PRIVATE_PEM', 'aws_credentials', 'x-auth-user']) {
    assert.equal(redactor.isSensitiveName(name), true, name)
    assert.equal(redactor.named(name, 'plain'), REDACTED, name)
  }
  for (const name of ['Accept', 'User-Agent', 'theme', 'HOME', 'NODE_ENV', 'order_id']) {
    assert.equal(redactor.isSensitiveName(name), false, name)
    assert.equal(redactor.named(name, 'plain'), 'plain', name)
  }
})

test('a setting adds name fragments, and Authorization, Cookie and Set-Cookie stay hidden', () => {
  const custom = new Redactor(['DATABASE_URL', ' webhook ', ''])
  assert.equal(custom.isSensitiveName('DATABASE_URL'), true)
  assert.equal(custom.isSensitiveName('slack_WEBHOOK'), true)
  assert.equal(custom.isSensitiveName('Accept'), false)
  assert.equal(custom.isSensitiveName('set-cookie'), true)
})

test('secrets are found by shape anywhere in a text, and their neighbours stay', () => {
  const cases: Array<[string, string]> = [
    ['connect postgres://shop:hunter2@db:5432/shop failed', `connect postgres://${REDACTED}@db:5432/shop failed`],
    ['header was Bearer abc.DEF-123_x~+/= ok', `header was Bearer ${REDACTED} ok`],
    ['Basic c2hvcDpodW50ZXIy', `Basic ${REDACTED}`],
    ['token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nat_ure here', `token ${REDACTED} here`],
    ['key -----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- end', `key ${REDACTED} end`],
    ['key -----BEGIN PRIVATE KEY-----\nMIIE cut off', `key ${REDACTED}`],
    ['paid with 4111 1111 1111 1111 today', `paid with ${REDACTED} today`],
    ['paid with 4111-1111-1111-1111', `paid with ${REDACTED}`],
    ['paid with 5555555555554444.', `paid with ${REDACTED}.`],
    ['GET https://api.test/v1?api_key=abc123&page=2 failed', `GET https://api.test/v1?api_key=${REDACTED}&page=2 failed`],
    ['node server.js --db-password=hunter2 --port=80', `node server.js --db-password=${REDACTED} --port=80`],
  ]
  for (const [input, expected] of cases) assert.equal(redactor.text(input), expected, input)
})

test('numbers that only look like cards stay: a 16-digit order number failing Luhn, epoch milliseconds, IDs inside words', () => {
  for (const text of ['order 4111111111111112 shipped', 'at 1732531200000 ms', 'trace 4bf92f3577b34da6a3ce929d0e0e4736', 'Basic auth failed', 'Bearer',
    'if (a.key === b.key) return', 'x.token==y', 'fetch(`/api?token=${req.query.token}`)']) {
    assert.equal(redactor.text(text), text)
  }
})

test('a URL keeps its path and harmless query values; sensitive ones and userinfo are replaced', () => {
  assert.equal(redactor.url('/orders/42?page=2&token=abc123&q=shoes'), `/orders/42?page=2&token=${REDACTED}&q=shoes`)
  assert.equal(redactor.url('https://u:p@api.test/x?API_KEY=1&a=b#access_token=zz'), `https://${REDACTED}@api.test/x?API_KEY=${REDACTED}&a=b#access_token=${REDACTED}`)
  assert.equal(redactor.url('/x?next=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln'), `/x?next=${REDACTED}`)
  assert.equal(redactor.url('/x?flag&a=%ZZ'), '/x?flag&a=%ZZ')
})

test('pairs are hidden by name, then by shape', () => {
  assert.deepEqual(redactor.pairs([['accept', 'text/html'], ['x-api-key', 'k1'], ['referer', 'https://a:b@c/']]),
    [['accept', 'text/html'], ['x-api-key', REDACTED], ['referer', `https://${REDACTED}@c/`]])
})

test('span attributes: sensitive names, copied headers, URLs, query strings and statement literals', () => {
  const redacted = redactor.attributes({
    'http.request.header.authorization': ['Bearer x'],
    'http.request.header.accept': ['text/html'],
    'http.request.header.cookie': 'sessionid=abc',
    'url.full': 'http://h/p?password=pw&page=1',
    'url.query': 'token=t&page=1',
    'db.statement': "SELECT * FROM users WHERE email = 'a@b.c' AND name = 'O''Brien' AND id = 7",
    'http.response.status_code': 500,
    'payment.amount': 4111111111111111,
    'http.route': '/orders/:id',
    'ok': true,
    'list': ['Bearer zzz', 1, null],
  })
  assert.deepEqual(redacted, {
    'http.request.header.authorization': REDACTED,
    'http.request.header.accept': ['text/html'],
    'http.request.header.cookie': REDACTED,
    'url.full': `http://h/p?password=${REDACTED}&page=1`,
    'url.query': `token=${REDACTED}&page=1`,
    'db.statement': `SELECT * FROM users WHERE email = '${REDACTED}' AND name = '${REDACTED}' AND id = 7`,
    'http.response.status_code': 500,
    'payment.amount': REDACTED,
    'http.route': '/orders/:id',
    'ok': true,
    'list': [`Bearer ${REDACTED}`, 1, null],
  })
})

test('structured values (a parsed body) are hidden by key at any depth', () => {
  const body = { user: { email: 'a@b.c', password: 'pw', cards: [{ card: '1' }] }, note: 'postgres://u:p@h/db' }
  assert.equal(JSON.stringify(body, redactor.jsonReplacer),
    JSON.stringify({ user: { email: 'a@b.c', password: REDACTED, cards: REDACTED }, note: `postgres://${REDACTED}@h/db` }))
})

test('a body seen only as text (a response\'s JSON, a raw request body) hides JSON members by name, a string cut short included, and keeps the rest', () => {
  const custom = new Redactor(['account_number'])
  assert.equal(custom.bodyText('{"error":"refused","account_number":"NL91-0417","amount":125,"pin" : 1234,"ok":true}'),
    `{"error":"refused","account_number":"${REDACTED}","amount":125,"pin" : 1234,"ok":true}`)
  assert.equal(custom.bodyText('{"password": "hunter2", "note": "say \\"hi\\"", "api_key": 42, "secret": true}'),
    `{"password": "${REDACTED}", "note": "say \\"hi\\"", "api_key": "${REDACTED}", "secret": "${REDACTED}"}`)
  assert.equal(custom.bodyText('{"items":[1,2],"account_number":"NL91-04'), `{"items":[1,2],"account_number":"${REDACTED}"`, 'cut off by a preview\'s limit')
  assert.equal(custom.bodyText('a=1&password=hunter2'), `a=1&password=${REDACTED}`, 'a form body, by the text rules')
  assert.equal(redactor.bodyText('{"account_number":"NL91-0417"}'), '{"account_number":"NL91-0417"}', 'a name nobody listed stays')
})
