'use strict';

// Reference solution for steps 1-4 (hello server, routes and params, todo API,
// middleware). Standard library only: node:http, a small route table and a
// hand-written middleware chain around it.

const http = require('node:http');
const crypto = require('node:crypto');

const PORT = Number(process.env.PORT) || 8080;
const MAX_TITLE = 200;
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;
const MAX_BODY = 1024 * 1024; // 1 MiB
// A body bigger than this is not even drained: the connection is closed.
const MAX_DRAIN = 64 * 1024 * 1024;

const HOME_PAGE = `<!doctype html>
<html>
  <head><meta charset="utf-8"><title>Hello</title></head>
  <body><h1>Hello Backend World!</h1></body>
</html>
`;

// HttpError is thrown by handlers (and readJSON) for an answer with an error
// body; anything else thrown is a bug and becomes a 500.
class HttpError extends Error {
  constructor(status, message, headers = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

// In-memory storage. A Map keeps insertion order, which is creation order.
const todos = new Map();
let nextId = 1;

function sendJSON(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function sendError(res, status, message, headers = {}) {
  sendJSON(res, status, { error: message }, headers);
}

function noContent(res, headers = {}) {
  res.writeHead(204, headers);
  res.end();
}

// readJSON resolves to the parsed body once it is all in. It throws 413 for a
// body over MAX_BODY (after draining it, so the client reads the answer) and
// 400 for one that is not JSON.
function readJSON(req) {
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_DRAIN) {
    return Promise.reject(new HttpError(413, 'request body is larger than 1 MiB', { Connection: 'close' }));
  }
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
      else if (size > MAX_DRAIN) req.destroy();
    });
    req.on('end', () => {
      if (size > MAX_BODY) return reject(new HttpError(413, 'request body is larger than 1 MiB'));
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'request body is not valid JSON'));
      }
    });
    req.on('error', () => reject(new HttpError(400, 'could not read the request body')));
  });
}

// readObject is readJSON for handlers that want a JSON object.
async function readObject(req) {
  const value = await readJSON(req);
  if (!isObject(value)) throw new HttpError(400, 'body must be a JSON object');
  return value;
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
    throw new HttpError(400, 'name is not validly URL-encoded');
  }
  sendJSON(res, 200, greeting(name));
}

async function greetPost(req, res) {
  const { name } = await readObject(req);
  if (typeof name !== 'string' || name === '') {
    throw new HttpError(400, 'name must be a non-empty string');
  }
  sendJSON(res, 200, greeting(name));
}

// ---- step 3 ----

function titleError(title) {
  if (typeof title !== 'string' || title.trim() === '') return 'title is required';
  // Count code points, not UTF-16 units: an emoji is one character.
  if ([...title].length > MAX_TITLE) return `title must be at most ${MAX_TITLE} characters`;
  return null;
}

function completedError(completed) {
  if (completed !== undefined && typeof completed !== 'boolean') return 'completed must be a boolean';
  return null;
}

function findTodo(raw) {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || String(id) !== raw) return undefined;
  return todos.get(id);
}

function mustFindTodo(raw) {
  const todo = findTodo(raw);
  if (!todo) throw new HttpError(404, 'todo not found');
  return todo;
}

// positive parses a page or limit query parameter: a missing one takes the
// default, anything but a positive integer is NaN.
function positive(raw, fallback) {
  if (raw === null) return fallback;
  if (!/^[0-9]+$/.test(raw)) return NaN;
  const n = Number(raw);
  return n >= 1 ? n : NaN;
}

function listTodos(req, res, url) {
  const page = positive(url.searchParams.get('page'), 1);
  if (Number.isNaN(page)) throw new HttpError(400, 'page must be a positive integer');
  let limit = positive(url.searchParams.get('limit'), DEFAULT_LIMIT);
  if (Number.isNaN(limit)) throw new HttpError(400, 'limit must be a positive integer');
  limit = Math.min(limit, MAX_LIMIT);
  const all = [...todos.values()];
  const start = (page - 1) * limit;
  sendJSON(res, 200, {
    data: all.slice(start, start + limit),
    page,
    limit,
    total: all.length,
    pages: Math.ceil(all.length / limit),
  });
}

async function createTodo(req, res) {
  const { title, completed } = await readObject(req);
  const problem = titleError(title) || completedError(completed);
  if (problem) throw new HttpError(400, problem);
  const todo = { id: nextId++, title, completed: completed === true };
  todos.set(todo.id, todo);
  sendJSON(res, 201, todo, { Location: `/todos/${todo.id}` });
}

function getTodo(req, res, url, params) {
  sendJSON(res, 200, mustFindTodo(params[0]));
}

async function replaceTodo(req, res, url, params) {
  const todo = mustFindTodo(params[0]);
  const { title, completed } = await readObject(req);
  const problem = titleError(title) || completedError(completed);
  if (problem) throw new HttpError(400, problem);
  todo.title = title;
  todo.completed = completed === true;
  sendJSON(res, 200, todo);
}

async function patchTodo(req, res, url, params) {
  const todo = mustFindTodo(params[0]);
  const patch = await readObject(req);
  const problem = ('title' in patch ? titleError(patch.title) : null) || completedError(patch.completed);
  if (problem) throw new HttpError(400, problem);
  if ('title' in patch) todo.title = patch.title;
  if ('completed' in patch) todo.completed = patch.completed;
  sendJSON(res, 200, todo);
}

function deleteTodo(req, res, url, params) {
  const todo = mustFindTodo(params[0]);
  todos.delete(todo.id);
  noContent(res);
}

// ---- step 4 ----

// boom fails on purpose: the global error handler must answer for it.
function boom() {
  throw new Error('boom: this handler always fails');
}

// ---- routing ----

const routes = [
  { pattern: /^\/$/, methods: { GET: home } },
  { pattern: /^\/health$/, methods: { GET: health } },
  { pattern: /^\/greet$/, methods: { GET: greetQuery, POST: greetPost } },
  { pattern: /^\/greet\/([^/]+)$/, methods: { GET: greetPath } },
  { pattern: /^\/todos$/, methods: { GET: listTodos, POST: createTodo } },
  { pattern: /^\/todos\/([^/]+)$/, methods: { GET: getTodo, PUT: replaceTodo, PATCH: patchTodo, DELETE: deleteTodo } },
  { pattern: /^\/boom$/, methods: { GET: boom } },
];

const CORS_ALLOW_HEADERS = 'Content-Type, Authorization, X-Request-ID, X-API-Key, If-Match, If-None-Match';
const CORS_EXPOSE_HEADERS = 'X-Request-ID, Location, ETag, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset';

// preflight answers OPTIONS on a route: the methods it serves, for CORS and
// for plain OPTIONS alike.
function preflight(req, res, route) {
  const allow = [...Object.keys(route.methods), 'OPTIONS'].join(', ');
  const headers = { Allow: allow };
  if (req.headers.origin) {
    headers['Access-Control-Allow-Methods'] = allow;
    headers['Access-Control-Allow-Headers'] = req.headers['access-control-request-headers'] || CORS_ALLOW_HEADERS;
    headers['Access-Control-Max-Age'] = '600';
  }
  noContent(res, headers);
}

// route finds the handler for a request and runs it.
async function route(req, res, url) {
  for (const r of routes) {
    const match = r.pattern.exec(url.pathname);
    if (!match) continue;
    if (req.method === 'OPTIONS') return preflight(req, res, r);
    const handler = r.methods[req.method];
    if (!handler) {
      const allow = [...Object.keys(r.methods), 'OPTIONS'].join(', ');
      throw new HttpError(405, 'method not allowed', { Allow: allow });
    }
    return handler(req, res, url, match.slice(1));
  }
  throw new HttpError(404, 'not found');
}

// handleError is the global error handler: known errors keep their status,
// anything else is logged with its stack and answered with a bare 500.
function handleError(err, req, res) {
  if (res.headersSent) {
    console.error(`error after the response started (${req.method} ${req.url}):`, err);
    res.destroy();
    return;
  }
  if (err instanceof HttpError) return sendError(res, err.status, err.message, err.headers);
  console.error(`unhandled error (${req.method} ${req.url}, request ${res.getHeader('X-Request-ID')}):`, err);
  sendError(res, 500, 'internal server error');
}

// audit writes one JSON line per request once its response is done (or the
// client went away first).
function audit(req, res, path, requestId) {
  const started = process.hrtime.bigint();
  const remoteAddr = req.socket.remoteAddress;
  let done = false;
  const write = () => {
    if (done) return;
    done = true;
    console.log(JSON.stringify({
      time: new Date().toISOString(),
      level: 'info',
      msg: 'request',
      request_id: requestId,
      method: req.method,
      path,
      status: res.statusCode,
      duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
      remote_addr: remoteAddr,
    }));
  };
  res.on('finish', write);
  res.on('close', write);
}

// requestIdOf keeps a sane client-supplied id and makes one up otherwise.
function requestIdOf(req) {
  const given = req.headers['x-request-id'];
  if (typeof given === 'string' && given !== '' && given.length <= 1024 && /^[\x20-\x7e]+$/.test(given)) return given;
  return crypto.randomUUID();
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const requestId = requestIdOf(req);
  audit(req, res, url.pathname, requestId);

  // Headers every response carries, errors and 404s included.
  res.setHeader('X-Request-Id', requestId);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  if (req.headers.origin) {
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin);
    res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSE_HEADERS);
    res.setHeader('Vary', 'Origin');
  }

  // Promise.resolve().then also catches a handler that throws synchronously.
  Promise.resolve()
    .then(() => route(req, res, url))
    .catch((err) => handleError(err, req, res));
});

server.listen(PORT, '0.0.0.0', () => {
  console.log(`listening on http://0.0.0.0:${PORT}`);
});
