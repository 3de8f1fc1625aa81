'use strict';
/**
 * The least an ingest server can do per request, for the ingest floor benchmark: read the
 * body, JSON.parse it, answer how many events it held. No key, no validation, no storage.
 * Run as a child process: `node bench/lib/bare-ingest-server.js` prints the URL it listens on.
 *
 * @example
 * const { child, url } = await startServer([], {}, { entry: require.resolve('./lib/bare-ingest-server') });
 */
const { Buffer } = require('node:buffer');
const http = require('node:http');

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const events = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const body = `{"accepted":${events.length},"duplicates":0}`;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
// Kept-alive load connections would hold close() open: the benchmark is done with us.
process.on('SIGTERM', () => process.exit(0));
