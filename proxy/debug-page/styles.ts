/**
 * The page's style sheet and its one small script, both inline under the response's
 * nonce (nothing is loaded from elsewhere). Folding is <details>, so it works with
 * no script at all; the script only copies text to the clipboard and saves the
 * record as a file, from data embedded in the page.
 */

const DEPTHS = Array.from({ length: 17 }, (_, d) => `.d${d} .sname{padding-left:${d * 0.9}em}`).join('')

export const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#656d76;--line:#d8dee4;--panel:#f6f8fa;--head:#fff8c5;--headline:#d4a72c;
--accent:#0969da;--err:#cf222e;--errbg:#ffebe9;--hit:#fff1b3;--hitline:#d4a72c;--bar:#54aeff;--code:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--panel:#161b22;--head:#2b2411;--headline:#9e6a03;
--accent:#4493f8;--err:#ff7b72;--errbg:#3c1618;--hit:#3b2e0a;--hitline:#bb8009;--bar:#1f6feb;--code:#161b22}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--accent)}
code,pre,.code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:13px}
pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
header{background:var(--head);border-bottom:2px solid var(--headline);padding:18px 24px 14px}
h1{margin:0;font-size:22px;line-height:1.3;overflow-wrap:anywhere}
h2{font-size:18px;margin:0 0 10px}
h3{font-size:15px;margin:14px 0 6px;overflow-wrap:anywhere}
.message{font-size:16px;margin:8px 0 12px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap;overflow-wrap:anywhere}
.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 16px;margin:0}
.facts dt{color:var(--muted)}.facts dd{margin:0;overflow-wrap:anywhere}
nav{display:flex;flex-wrap:wrap;gap:4px 14px;padding:8px 24px;border-bottom:1px solid var(--line);position:sticky;top:0;background:var(--bg);z-index:1}
nav a{text-decoration:none;font-size:14px}
.tools{display:flex;flex-wrap:wrap;gap:8px;margin-top:12px}
button{font:inherit;font-size:13px;padding:4px 10px;border:1px solid var(--line);border-radius:6px;background:var(--panel);color:var(--fg);cursor:pointer}
button:hover{border-color:var(--accent)}
.tools output{font-size:13px;color:var(--muted);align-self:center}
section{padding:16px 24px;border-bottom:1px solid var(--line)}
.muted{color:var(--muted)}
.note{overflow-wrap:anywhere;background:var(--panel);border-left:3px solid var(--headline);padding:8px 12px;margin:8px 0}
.later{margin:0;border-left-width:0;border-bottom:1px solid var(--line);padding:8px 24px}
.missing{background:var(--errbg);border-left-color:var(--err)}
.exception{margin:0 0 18px}
.exception.nested{margin-left:18px;padding-left:12px;border-left:2px solid var(--line)}
.relation{margin:18px 0 4px;color:var(--muted);font-style:italic}
.etype{color:var(--err)}
ol.frames{list-style:none;padding:0;margin:6px 0}
ol.frames ol.frames{margin:4px 0 4px 12px}
.frame{border:1px solid var(--line);border-radius:6px;margin:4px 0;background:var(--bg)}
.frame>summary,.frame>.head{padding:5px 10px;cursor:pointer;overflow-wrap:anywhere}
.frame>.head{cursor:default}
.frame.app{border-left:3px solid var(--accent)}
.frame.raised{border-left-color:var(--err)}
.frame.library,.frame.runtime{color:var(--muted)}
.fn{font-weight:600}.loc{color:var(--muted)}
.tag{font-size:11px;border:1px solid var(--line);border-radius:9px;padding:0 6px;margin-left:6px;color:var(--muted);white-space:nowrap}
.tag.raised{color:var(--err);border-color:var(--err)}
details.group{margin:4px 0}
details.group>summary{cursor:pointer;color:var(--muted);padding:4px 10px;font-size:14px}
.code{background:var(--code);border-top:1px solid var(--line);overflow-x:auto;padding:4px 0}
.code .l{display:flex;white-space:pre;min-width:max-content}
.code .n{display:inline-block;min-width:4.5em;padding:0 10px 0 6px;text-align:right;color:var(--muted);user-select:none;flex:none}
.code .l.hit{background:var(--hit);box-shadow:inset 3px 0 var(--hitline)}
.code .l.hit .n{color:var(--fg);font-weight:600}
table{border-collapse:collapse;width:100%;table-layout:fixed}
.kv th,.kv td{text-align:left;vertical-align:top;padding:3px 8px;border-top:1px solid var(--line);overflow-wrap:anywhere}
.kv th{width:30%;font-weight:500;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
.kv td{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;white-space:pre-wrap}
.locals{margin:0;border-top:1px solid var(--line);padding:6px 10px}
.locals h4{margin:0 0 4px;font-size:13px;color:var(--muted)}
.body{background:var(--code);border:1px solid var(--line);border-radius:6px;padding:8px 10px;max-height:28em;overflow:auto}
.scale{display:flex;justify-content:space-between;font-size:12px;color:var(--muted);margin-left:40%;padding:0 4px}
ol.waterfall{list-style:none;padding:0;margin:0;border-top:1px solid var(--line)}
.span>details>summary{display:grid;grid-template-columns:minmax(0,40%) 5.5em minmax(0,1fr);gap:8px;align-items:center;padding:3px 4px;border-bottom:1px solid var(--line);cursor:pointer;list-style:none}
.span>details>summary::-webkit-details-marker{display:none}
.sname{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.sname::before{content:"▸ ";color:var(--muted)}
.span>details[open]>summary .sname::before{content:"▾ "}
.op{display:block;font-size:12px;color:var(--muted);overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.svc{font-size:11px;border:1px solid var(--line);border-radius:9px;padding:0 6px;margin-left:6px;color:var(--muted)}
.logs td{vertical-align:top;padding:3px 8px;border-top:1px solid var(--line);overflow-wrap:anywhere;font-size:13px}
.logs .t,.logs .sev{width:7em;white-space:nowrap;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-variant-numeric:tabular-nums}
.dur{text-align:right;font-size:13px;font-variant-numeric:tabular-nums}
.bar{width:100%;height:12px;display:block}
.bar rect{fill:var(--bar)}
.span.error .sname{color:var(--err)}.span.error .bar rect{fill:var(--err)}
.span.failing>details>summary{background:var(--errbg)}
.badge{font-size:11px;border-radius:9px;padding:0 6px;background:var(--err);color:#fff;white-space:nowrap}
.span-detail{padding:8px 12px 12px;border-bottom:1px solid var(--line);background:var(--panel)}
.span-detail p{margin:0 0 6px}
ol.failures{list-style:none;padding:0;margin:0}
.failure{padding:8px 0;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
${DEPTHS}
@media (max-width:640px){
header,section{padding-left:12px;padding-right:12px}nav{padding:6px 12px}
h1{font-size:19px}
.span>details>summary{grid-template-columns:minmax(0,1fr) 5em}
.span>details>summary .bar{grid-column:1/-1}
.scale{margin-left:0}
.kv th{width:38%}
.exception.nested{margin-left:6px;padding-left:8px}
}
`

/** Reads the page's embedded data; copy buttons and the JSON download. No network, no eval. */
export const SCRIPT = `
(() => {
  const data = JSON.parse(document.getElementById('page-data').textContent);
  const status = document.getElementById('copy-status');
  const say = (text) => { status.textContent = text; };
  for (const button of document.querySelectorAll('button[data-copy]')) {
    button.addEventListener('click', () => {
      navigator.clipboard.writeText(data[button.dataset.copy]).then(
        () => say(button.dataset.done),
        () => say('The browser refused the clipboard: select the text under "Copy" below.'));
    });
  }
  const save = document.querySelector('button[data-save]');
  if (save) save.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([JSON.stringify(data.record, null, 2)], { type: 'application/json' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = save.dataset.save;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    say('Saved ' + save.dataset.save);
  });
  for (const tools of document.querySelectorAll('.tools[hidden]')) tools.hidden = false;
})();
`
