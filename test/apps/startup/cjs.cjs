// An Express app as a CommonJS module, started with `--require` or `--import supertrace/register`.
const express = require('express')

const app = express()
app.get('/boom', () => {
  throw new TypeError('thrown in a CommonJS app') // fails: boom
})
app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('cjs listening\n'))
