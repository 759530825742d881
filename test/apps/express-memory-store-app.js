// An Express app that gives express-session no store: its sessions live in the default
// MemoryStore, in this process's memory. It knows nothing of supertrace.
import express from 'express'
import session from 'express-session'

const app = express()
app.use(session({ secret: 'keyboard cat', resave: false, saveUninitialized: false }))
app.get('/login', (req, res) => {
  req.session.user = { name: String(req.query.user), isAdmin: true }
  res.type('text').send('logged in\n')
})
app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('memory-store app listening\n'))
