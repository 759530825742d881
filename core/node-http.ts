/**
 * node:http's functions for supertrace's modules, which import only its types from 'node:http'.
 * An ES `import` of node:http reads every export, and reading `WebSocket`, `CloseEvent` or
 * `MessageEvent` loads Node's own bundled undici: 16 MB of RSS supertrace never uses
 * (docs/benchmarks.md, "Memory"). `process.getBuiltinModule` returns the module without reading them.
 */
export const { createServer, request, STATUS_CODES } = process.getBuiltinModule('node:http')
