require('supertrace/register')
// A CommonJS app whose first line loads supertrace, started with plain `node first-line.cjs`.
const express = require('express')

const app = express()
app.get('/boom', () => {
  throw new TypeError('thrown in a CommonJS app that requires supertrace first') // fails: boom
})
app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('first-line listening\n'))
