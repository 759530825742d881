// A node:http app with its own NodeSDK and SupertraceSpanProcessor (locals on), and a second
// processor made while the first records (SECOND_REDIS_URL). GET /fail answers a 500;
// GET /shutdown shuts the second processor down, then the SDK, and answers what supertrace
// still changes in the process at each step, compared with the process before it started.
const { ServerResponse } = require('node:http')
const { Session } = require('node:inspector')
const { NodeSDK } = require('@opentelemetry/sdk-node')
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http')
const { SupertraceSpanProcessor, loadInstrumentationConfig } = require('supertrace')

/** The span class and its recordException as they are before supertrace's processor, which comes after this one, sees a span. */
const spanClass = { prototype: undefined, recordException: undefined }
const spanClassProbe = {
  onStart (span) {
    if (spanClass.prototype !== undefined) return
    spanClass.prototype = Object.getPrototypeOf(span)
    spanClass.recordException = spanClass.prototype.recordException
  },
  onEnd () {},
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
}

// A debugger session of the app's own: it sees every pause, whoever asked for it.
const watcher = new Session()
watcher.connect()
let pauses = 0
watcher.on('Debugger.paused', () => { pauses++ })
watcher.post('Debugger.enable')

let openSessions = 0
const { connect, disconnect } = Session.prototype
Session.prototype.connect = function () { openSessions++; return connect.call(this) }
Session.prototype.disconnect = function () { openSessions--; return disconnect.call(this) }

function pausesOnCaughtExceptions () {
  const before = pauses
  try {
    throw new Error('caught at once')
  } catch {}
  return pauses > before
}

/** What is shared process-wide that supertrace may change. */
function processState () {
  return {
    'ServerResponse.prototype.writeHead': ServerResponse.prototype.writeHead,
    'ServerResponse.prototype.end': ServerResponse.prototype.end,
    'process.emit': process.emit,
    'Span.prototype.recordException is the original': spanClass.prototype?.recordException === spanClass.recordException,
    'Error.stackTraceLimit': Error.stackTraceLimit,
    'uncaughtException listeners': process.listenerCount('uncaughtException'),
    'uncaughtExceptionMonitor listeners': process.listenerCount('uncaughtExceptionMonitor'),
    'unhandledRejection listeners': process.listenerCount('unhandledRejection'),
    'open inspector sessions': openSessions,
    'the debugger pauses on caught exceptions': pausesOnCaughtExceptions(),
  }
}

const before = processState()
/** The names of what differs from before the SDK started. */
function changed () {
  const now = processState()
  return Object.keys(now).filter((name) => now[name] !== before[name])
}

const processor = new SupertraceSpanProcessor()
const sdk = new NodeSDK({
  instrumentations: [new HttpInstrumentation()],
  spanProcessors: [spanClassProbe, processor],
  metricReaders: [],
  logRecordProcessors: [],
})
sdk.start()
const second = new SupertraceSpanProcessor({ config: loadInstrumentationConfig({ ...process.env, SUPERTRACE_REDIS_URL: process.env.SECOND_REDIS_URL }) })

// Required again now: the SDK's HTTP instrumentation patches node:http when it is required after the SDK starts.
require('node:http').createServer(async (req, res) => {
  if (req.url === '/fail') {
    res.statusCode = 500
    res.end('failed')
    return
  }
  const running = changed()
  await second.shutdown()
  const afterSecondShutdown = changed()
  const first = processor.shutdown()
  await sdk.shutdown()
  const afterShutdown = changed()
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({ running, afterSecondShutdown, afterShutdown, isSameShutdownPromise: processor.shutdown() === first }))
}).listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('shuts-down listening\n'))
