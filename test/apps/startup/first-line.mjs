import 'supertrace/register'
// An ES module app whose first line loads supertrace, started with plain `node first-line.mjs`.
import express from 'express'

const app = express()
app.get('/boom', () => {
  throw new TypeError('thrown in an ES module app that imports supertrace first') // fails: boom
})
app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('first-line listening\n'))
