'use strict';

// Reference solution for steps 1-2 (hello server, routes and params).
// Standard library only: node:http and a small route table.

const http = require('node:http');

const PORT = Number(process.env.PORT) || 8080;

const HOME_PAGE = `<!doctype html>
<html>
  <head><meta charset="utf-8"><title>Hello</title></head>
  <body><h1>Hello Backend World!</h1></body>
</html>
`;

function sendJSON(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function sendError(res, status, message) {
  sendJSON(res, status, { error: message });
}

// readJSON resolves to { value } or { error } once the whole body is in.
function readJSON(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve({ value: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      } catch {
        resolve({ error: 'request body is not valid JSON' });
      }
    });
    req.on('error', () => resolve({ error: 'could not read the request body' }));
  });
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// ---- step 1 ----

function home(req, res) {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(HOME_PAGE);
}

function health(req, res) {
  sendJSON(res, 200, { status: 'ok' });
}

// ---- step 2 ----

function greeting(name) {
  return { message: `Hello, ${name ? name : 'World'}!` };
}

function greetQuery(req, res, url) {
  sendJSON(res, 200, greeting(url.searchParams.get('name')));
}

function greetPath(req, res, url, params) {
  let name;
  try {
    name = decodeURIComponent(params[0]);
  } catch {
    return sendError(res, 400, 'name is not validly URL-encoded');
  }
  sendJSON(res, 200, greeting(name));
}

async function greetPost(req, res) {
  const body = await readJSON(req);
  if (body.error) return sendError(res, 400, body.error);
  if (!isObject(body.value)) return sendError(res, 400, 'body must be a JSON object');
  const name = body.value.name;
  if (typeof name !== 'string' || name === '') {
    return sendError(res, 400, 'name must be a non-empty string');
  }
  sendJSON(res, 200, greeting(name));
}

// ---- routing ----

const routes = [
  { pattern: /^\/$/, methods: { GET: home } },
  { pattern: /^\/health$/, methods: { GET: health } },
  { pattern: /^\/greet$/, methods: { GET: greetQuery, POST: greetPost } },
  { pattern: /^\/greet\/([^/]+)$/, methods: { GET: greetPath } },
];

const server = http.createServer((req, res) => {
  const started = Date.now();
  res.on('finish', () => {
    console.log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`);
  });

  const url = new URL(req.url, 'http://localhost');
  for (const route of routes) {
    const match = route.pattern.exec(url.pathname);
    if (!match) continue;
    const handler = route.methods[req.method];
    if (!handler) {
      return sendJSON(res, 405, { error: 'method not allowed' }, { Allow: Object.keys(route.methods).join(', ') });
    }
    return Promise.resolve(handler(req, res, url, match.slice(1))).catch((err) => {
      console.error(err);
      if (!res.headersSent) sendError(res, 500, 'internal server error');
    });
  }
  sendError(res, 404, 'not found');
});

server.listen(PORT, '0.0.0.0', () => {
  console.log(`listening on http://0.0.0.0:${PORT}`);
});
