'use strict';

// Step 1 starter: a server that listens on $PORT and answers 404 to
// everything. Add the routes from the README:
//   GET /        -> 200, Content-Type: text/html, <h1>Hello Backend World!</h1>
//   GET /health  -> 200, Content-Type: application/json, {"status":"ok"}
//   anything else -> 404

const http = require('node:http');

const PORT = Number(process.env.PORT) || 8080;

const server = http.createServer((req, res) => {
  console.log(`${req.method} ${req.url}`);

  // req.url includes the query string; this is just the path.
  const path = new URL(req.url, 'http://localhost').pathname;

  // TODO: answer GET / and GET /health here, before the 404 below.

  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`Not Found: ${path}\n`);
});

server.listen(PORT, '0.0.0.0', () => {
  console.log(`listening on http://0.0.0.0:${PORT}`);
});
