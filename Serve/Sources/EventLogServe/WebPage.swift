// SPDX-License-Identifier: Apache-2.0
// The live page served at "/": pick a log, watch records arrive, pause, jump
// to an offset or a time, and see a lost connection resume with nothing
// missed (the counters show missing and duplicate offsets). Plain HTML and
// JavaScript in the binary: no build step, nothing fetched from elsewhere.
// ?log=NAME selects a log, ?from= where to start, ?token= the access token.
enum WebPage {
    static let html = #"""
        <!doctype html>
        <!-- SPDX-License-Identifier: Apache-2.0 -->
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>eventlog live</title>
        <style>
          body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
          header { background: #1d2330; color: #fff; padding: 10px 16px; display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
          header h1 { font-size: 16px; margin: 0 12px 0 0; }
          header select, header input, header button { font: inherit; padding: 3px 8px; border-radius: 4px; border: 1px solid #8891a5; }
          header button { background: #e8ebf2; cursor: pointer; }
          #status { padding: 6px 16px; background: #e3f3e6; border-bottom: 1px solid #cfd6e0; display: flex; gap: 18px; flex-wrap: wrap; }
          #status.down { background: #fbe7e5; }
          #status b { font-variant-numeric: tabular-nums; }
          #events { padding: 4px 16px; color: #5a6478; font-size: 12px; max-height: 5.5em; overflow-y: auto; border-bottom: 1px solid #cfd6e0; }
          table { border-collapse: collapse; width: 100%; font-family: ui-monospace, monospace; font-size: 12.5px; }
          th { text-align: left; position: sticky; top: 0; background: #eef1f6; padding: 4px 8px; border-bottom: 1px solid #cfd6e0; }
          td { padding: 3px 8px; border-bottom: 1px solid #e6e9ef; vertical-align: top; white-space: pre-wrap; word-break: break-all; }
          td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
          tr.fresh { animation: fresh 1.2s ease-out; }
          @keyframes fresh { from { background: #fff6c4; } to { background: transparent; } }
          .b64 { color: #8a4baf; }
        </style>
        </head>
        <body>
        <header>
          <h1>eventlog live</h1>
          <label>log <select id="log"></select></label>
          <button id="pause">Pause</button>
          <label>offset <input id="offset" size="10" placeholder="oldest"></label>
          <button id="jump-offset">Go</button>
          <label>time <input id="time" size="22" placeholder="2026-12-02T10:00:00Z"></label>
          <button id="jump-time">Go</button>
        </header>
        <div id="status" class="down">
          <span>state: <b id="state">connecting</b></span>
          <span>received: <b id="count">0</b></span>
          <span>last offset: <b id="last-offset">-</b></span>
          <span>log end: <b id="end-offset">-</b></span>
          <span>reconnects: <b id="reconnects">0</b></span>
          <span>missing: <b id="missing">0</b></span>
          <span>duplicates: <b id="duplicates">0</b></span>
        </div>
        <div id="events"></div>
        <table>
          <thead><tr><th>offset</th><th>time</th><th>key</th><th>value</th><th>headers</th></tr></thead>
          <tbody id="records"></tbody>
        </table>
        <script>
        "use strict";
        // The stream protocol is in Docs/SERVE.md. The page resumes after a lost
        // connection with from=<last offset + 1>, so it shows every record once.
        const params = new URLSearchParams(location.search);
        const token = params.get("token");
        const maxRows = 500;
        let socket = null, paused = false, last = -1, logId = null, retryMs = 250;
        let received = 0, reconnects = 0, missing = 0, duplicates = 0, start = params.get("from") || "latest", fromTime = null;
        const $ = (id) => document.getElementById(id);

        function note(text) {
          const line = document.createElement("div");
          line.textContent = new Date().toLocaleTimeString() + "  " + text;
          $("events").prepend(line);
        }
        function withToken(url) { return token ? url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token) : url; }
        function setState(text, up) { $("state").textContent = text; $("status").className = up ? "" : "down"; }
        function counters() {
          $("count").textContent = received; $("last-offset").textContent = last < 0 ? "-" : last;
          $("reconnects").textContent = reconnects; $("missing").textContent = missing; $("duplicates").textContent = duplicates;
        }
        function field(record, name) {
          if (record[name + "_b64"] !== undefined) return { text: record[name + "_b64"], b64: true };
          return { text: record[name] === null ? "null" : record[name], b64: false };
        }
        function cell(row, value, cls) {
          const td = row.insertCell(); td.textContent = value.text !== undefined ? value.text : value;
          if (value.b64) td.className = "b64"; if (cls) td.className = cls;
        }
        function show(record) {
          if (last >= 0 && record.offset <= last) { duplicates++; return; }
          if (last >= 0 && record.offset !== last + 1) missing += record.offset - last - 1;
          last = record.offset; received++;
          const row = $("records").insertRow(0);
          row.className = "fresh"; row.dataset.offset = record.offset;
          cell(row, String(record.offset), "num");
          cell(row, new Date(record.timestamp).toISOString());
          cell(row, field(record, "key")); cell(row, field(record, "value"));
          cell(row, Object.keys(record.headers).length ? JSON.stringify(record.headers) : "");
          while ($("records").rows.length > maxRows) $("records").deleteRow(-1);
        }
        function connect() {
          const name = $("log").value;
          if (!name || paused) return;
          let query = "from=" + (last >= 0 ? last + 1 : start);
          if (last < 0 && fromTime !== null) query = "from_time=" + fromTime;
          const scheme = location.protocol === "https:" ? "wss://" : "ws://";
          const url = withToken(scheme + location.host + "/v1/logs/" + name.split("/").map(encodeURIComponent).join("/") + "/stream?" + query);
          const ws = new WebSocket(url);
          socket = ws;
          setState("connecting", false);
          ws.onmessage = (event) => {
            const message = JSON.parse(event.data);
            if (message.type === "hello") {
              retryMs = 250;
              if (logId !== null && logId !== message.id) { note("the log was deleted and created again: starting over"); last = -1; }
              logId = message.id;
              $("end-offset").textContent = message.end_offset;
              setState("live", true);
              note("connected to " + message.log + " at offset " + message.from + " (log " + message.start_offset + "…" + message.end_offset + ")");
            } else if (message.type === "records") {
              for (const record of message.records) show(record);
              if (last + 1 > Number($("end-offset").textContent)) $("end-offset").textContent = last + 1;
              counters();
            } else if (message.type === "truncated") {
              note("offsets before " + message.start_offset + " were removed: " + message.reason);
            }
          };
          ws.onclose = (event) => {
            if (socket !== ws) return;
            socket = null;
            if (paused) { setState("paused", false); return; }
            reconnects++; counters();
            setState("reconnecting", false);
            note("connection closed (" + event.code + (event.reason ? " " + event.reason : "") + "); reconnecting from " + (last + 1));
            setTimeout(connect, retryMs);
            retryMs = Math.min(retryMs * 2, 4000);
          };
        }
        function restart(from, time) {
          if (socket) { const ws = socket; socket = null; ws.close(); }
          last = -1; start = from; fromTime = time; received = 0; missing = 0; duplicates = 0; logId = null;
          $("records").replaceChildren(); counters(); paused = false; $("pause").textContent = "Pause";
          connect();
        }
        $("pause").onclick = () => {
          paused = !paused; $("pause").textContent = paused ? "Resume" : "Pause";
          if (paused && socket) { const ws = socket; socket = null; ws.close(); setState("paused", false); }
          if (!paused) { reconnects++; connect(); }
        };
        $("jump-offset").onclick = () => restart($("offset").value.trim() || "oldest", null);
        $("jump-time").onclick = () => {
          const ms = Date.parse($("time").value.trim());
          if (isNaN(ms)) { note("not a time: " + $("time").value); return; }
          restart("oldest", ms);
        };
        $("log").onchange = () => restart(start, null);
        fetch(withToken("/v1/logs")).then((r) => r.json()).then((body) => {
          for (const log of body.logs) $("log").add(new Option(log.name + "  (" + log.start_offset + "…" + log.end_offset + ")", log.name));
          const wanted = params.get("log");
          if (wanted) $("log").value = wanted;
          if (!body.logs.length) note("no logs under the served directory yet");
          connect();
        }).catch((error) => note("cannot list logs: " + error));
        </script>
        </body>
        </html>
        """#
}
