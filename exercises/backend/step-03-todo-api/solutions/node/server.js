'use strict';

// Reference solution for steps 1-3 (hello server, routes and params, todo API).
// Standard library only: node:http and a small route table.

const http = require('node:http');

const PORT = Number(process.env.PORT) || 8080;
const MAX_TITLE = 200;
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;

const HOME_PAGE = `<!doctype html>
<html>
  <head><meta charset="utf-8"><title>Hello</title></head>
  <body><h1>Hello Backend World!</h1></body>
</html>
`;

// In-memory storage. A Map keeps insertion order, which is creation order.
const todos = new Map();
let nextId = 1;

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
  if (Number.isNaN(page)) return sendError(res, 400, 'page must be a positive integer');
  let limit = positive(url.searchParams.get('limit'), DEFAULT_LIMIT);
  if (Number.isNaN(limit)) return sendError(res, 400, 'limit must be a positive integer');
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
  const body = await readJSON(req);
  if (body.error) return sendError(res, 400, body.error);
  if (!isObject(body.value)) return sendError(res, 400, 'body must be a JSON object');
  const { title, completed } = body.value;
  const problem = titleError(title) || completedError(completed);
  if (problem) return sendError(res, 400, problem);
  const todo = { id: nextId++, title, completed: completed === true };
  todos.set(todo.id, todo);
  sendJSON(res, 201, todo, { Location: `/todos/${todo.id}` });
}

function getTodo(req, res, url, params) {
  const todo = findTodo(params[0]);
  if (!todo) return sendError(res, 404, 'todo not found');
  sendJSON(res, 200, todo);
}

async function replaceTodo(req, res, url, params) {
  const todo = findTodo(params[0]);
  if (!todo) return sendError(res, 404, 'todo not found');
  const body = await readJSON(req);
  if (body.error) return sendError(res, 400, body.error);
  if (!isObject(body.value)) return sendError(res, 400, 'body must be a JSON object');
  const { title, completed } = body.value;
  const problem = titleError(title) || completedError(completed);
  if (problem) return sendError(res, 400, problem);
  todo.title = title;
  todo.completed = completed === true;
  sendJSON(res, 200, todo);
}

async function patchTodo(req, res, url, params) {
  const todo = findTodo(params[0]);
  if (!todo) return sendError(res, 404, 'todo not found');
  const body = await readJSON(req);
  if (body.error) return sendError(res, 400, body.error);
  if (!isObject(body.value)) return sendError(res, 400, 'body must be a JSON object');
  const patch = body.value;
  const problem = ('title' in patch ? titleError(patch.title) : null) || completedError(patch.completed);
  if (problem) return sendError(res, 400, problem);
  if ('title' in patch) todo.title = patch.title;
  if ('completed' in patch) todo.completed = patch.completed;
  sendJSON(res, 200, todo);
}

function deleteTodo(req, res, url, params) {
  const todo = findTodo(params[0]);
  if (!todo) return sendError(res, 404, 'todo not found');
  todos.delete(todo.id);
  res.writeHead(204);
  res.end();
}

// ---- routing ----

const routes = [
  { pattern: /^\/$/, methods: { GET: home } },
  { pattern: /^\/health$/, methods: { GET: health } },
  { pattern: /^\/greet$/, methods: { GET: greetQuery, POST: greetPost } },
  { pattern: /^\/greet\/([^/]+)$/, methods: { GET: greetPath } },
  { pattern: /^\/todos$/, methods: { GET: listTodos, POST: createTodo } },
  { pattern: /^\/todos\/([^/]+)$/, methods: { GET: getTodo, PUT: replaceTodo, PATCH: patchTodo, DELETE: deleteTodo } },
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
