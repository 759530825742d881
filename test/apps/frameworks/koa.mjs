// Koa 3 with @koa/router (ES module). `// fails: <kind>` marks the line each failure is
// thrown from.
import Router from '@koa/router'
import Koa from 'koa'
import { OWN_500_PAGE, listen } from './shared.mjs'

const app = new Koa()
app.silent = true
// The app's own error handler for /handled: its own 500 page; other errors go on to Koa's.
app.use(async function ownErrorPage (ctx, next) {
  try {
    await next()
  } catch (err) {
    if (ctx.path !== '/handled') throw err
    ctx.status = 500
    ctx.type = 'html'
    ctx.body = OWN_500_PAGE
  }
})
app.use(async function checkAccess (ctx, next) {
  if (ctx.path === '/middleware') throw new SyntaxError('middleware threw in koa') // fails: middleware
  await next()
})
const router = new Router()
router.get('/sync', () => {
  throw new TypeError('handler threw in koa') // fails: sync
})
router.get('/async', async () => {
  await Promise.resolve()
  throw new RangeError('handler rejected in koa') // fails: async
})
router.get('/next', (ctx) => {
  ctx.throw(500, 'ctx.throw in koa') // fails: next
})
router.get('/handled', () => {
  throw new URIError('handled by the app in koa') // fails: handled
})
app.use(router.routes())

listen(app, 'koa')
