/**
 * On the debug page a frame is the app's, a library's or the runtime's. Stack texts carry no
 * package manager's word for it, so each language's rule reads the path or the name: these
 * are the frames of libraries that the programs of test/stacks/ cannot load here (no Spring,
 * no Go module cache, no gems, no Composer packages), in the shapes those SDKs record, and
 * a real Node error thrown from a library's callback.
 */
import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import type { FrameOrigin } from '../core/record.ts'
import { parseForeignException } from '../ingest/stacks/parse.ts'
import { markedLine } from './helpers/foreign-programs.ts'

const TEXTS: ReadonlyArray<{ readonly language: string, readonly stacktrace: string, readonly origins: readonly FrameOrigin[] }> = [
  {
    language: 'java',
    stacktrace: [
      'java.lang.IllegalStateException: cannot price order 7',
      '\tat com.example.shop.Orders.priceOf(Orders.java:21)',
      '\tat org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:255)',
      '\tat org.apache.catalina.core.StandardWrapperValve.invoke(StandardWrapperValve.java:166)',
      '\tat java.base/java.lang.Thread.run(Thread.java:840)',
    ].join('\n'),
    origins: ['app', 'library', 'library', 'runtime'],
  },
  {
    language: 'go',
    stacktrace: [
      'goroutine 34 [running]:',
      'main.ordersHandler({0x7a1f40, 0xc0001c2000}, 0xc0001b4100)',
      '\t/app/cmd/shop/main.go:43 +0x2f',
      'github.com/go-chi/chi/v5.(*Mux).routeHTTP(0xc000096060, {0x7a1f40, 0xc0001c2000}, 0xc0001b4100)',
      '\t/root/go/pkg/mod/github.com/go-chi/chi/v5@v5.0.12/mux.go:459 +0x1c2',
      'net/http.serverHandler.ServeHTTP({0xc0000a4000?}, {0x7a1f40?, 0xc0001c2000?}, 0x6?)',
      '\t/usr/local/go/src/net/http/server.go:3137 +0x8e',
      'created by net/http.(*Server).Serve in goroutine 1',
      '\t/usr/local/go/src/net/http/server.go:3285 +0x4b4',
    ].join('\n'),
    origins: ['app', 'library', 'runtime', 'runtime'],
  },
  {
    language: 'ruby',
    stacktrace: [
      "/app/app/controllers/orders_controller.rb:5:in 'OrdersController#show': cannot price order 7 (RuntimeError)",
      "\tfrom /usr/local/bundle/gems/actionpack-7.1.3/lib/action_controller/metal/basic_implicit_render.rb:6:in 'send_action'",
      "\tfrom /usr/local/lib/ruby/3.3.0/monitor.rb:201:in 'synchronize'",
      "\tfrom <internal:kernel>:90:in 'tap'",
    ].join('\n'),
    origins: ['app', 'library', 'runtime', 'runtime'],
  },
  {
    language: 'php',
    stacktrace: [
      'RuntimeException: cannot price order 7',
      '\tat App.Controller.OrderController.show(OrderController.php:21)',
      '\tat Symfony.Component.HttpKernel.HttpKernel.handleRaw(HttpKernel.php:181)',
      '\tat call_user_func_array(Unknown Source)',
      '\tat {main}(index.php:5)',
    ].join('\n'),
    origins: ['app', 'library', 'runtime', 'app'],
  },
]

test('library frames in Java, Go, Ruby and PHP texts are placed by their package, path or namespace', () => {
  for (const { language, stacktrace, origins } of TEXTS) {
    const read = parseForeignException({ language, type: '', message: '', stacktrace })
    assert.deepEqual(read.frames.map((f) => f.origin), origins, language)
  }
})

test('without telemetry.sdk.language, the text\'s shape picks the same reading', () => {
  for (const { language, stacktrace } of TEXTS.filter((text) => text.language !== 'php')) {
    assert.deepEqual(parseForeignException({ language: '', type: 'T', message: 'm', stacktrace }), parseForeignException({ language, type: 'T', message: 'm', stacktrace }), language)
  }
})

test('a Node app\'s error thrown in a library\'s callback: the app\'s frame, then the library\'s', () => {
  let stack = ''
  try {
    parseYaml('order: 7', (key, value) => { if (key === 'order') throw new TypeError(`cannot price order ${String(value)}`); return value }) // throws: TypeError
  } catch (error) {
    stack = (error as Error).stack ?? ''
  }
  const read = parseForeignException({ language: 'nodejs', type: 'TypeError', message: 'cannot price order 7', stacktrace: stack })
  const thrownAt = read.frames[0]
  assert.equal(thrownAt?.file, import.meta.url)
  assert.equal(thrownAt?.origin, 'app')
  // Spelled in two parts, so that only the throwing line holds the marker.
  assert.equal(thrownAt?.line, markedLine(fileURLToPath(import.meta.url), 'throws: ' + 'TypeError'))
  assert.ok(typeof thrownAt?.column === 'number')
  assert.ok(read.frames.some((f) => f.file.includes('/node_modules/yaml/') && f.origin === 'library'), JSON.stringify(read.frames))
})

