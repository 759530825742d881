// An Express app as an ES module, started with `node --import supertrace/register esm.mjs`.
import express from 'express'

const app = express()
app.get('/boom', () => {
  throw new TypeError('thrown in an ES module app') // fails: boom
})
app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('esm listening\n'))
