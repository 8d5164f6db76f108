// Steps 1-6 written the way many learners write them: Express with its
// common middleware (helmet, cors, morgan, express-rate-limit,
// express-session) instead of the standard library. The reference
// solutions use only the standard library; this one proves the suites
// accept what these libraries send: extra RateLimit-Reset and
// RateLimit-Policy headers, a signed session cookie (s%3A<id>.<signature>),
// helmet's many extra headers, cors' comma lists without spaces, and
// Express's own JSON bodies.
'use strict';

const crypto = require('node:crypto');
const express = require('express');
const helmet = require('helmet');
const cors = require('cors');
const morgan = require('morgan');
const { rateLimit } = require('express-rate-limit');
const session = require('express-session');

const app = express();
app.disable('x-powered-by');
app.set('etag', false);

// ---- step 4: request id, audit log, security headers, CORS ----

app.use((req, res, next) => {
  const given = req.get('X-Request-ID');
  req.id = given || crypto.randomUUID();
  res.set('X-Request-ID', req.id);
  next();
});

morgan.token('id', (req) => req.id);
app.use(
  morgan((tokens, req, res) =>
    JSON.stringify({
      method: req.method,
      path: req.originalUrl.split('?')[0],
      status: Number(tokens.status(req, res)) || res.statusCode,
      duration_ms: Number(tokens['response-time'](req, res)) || 0,
      request_id: req.id,
    }),
  ),
);

app.use(helmet({ frameguard: { action: 'deny' } }));
app.use(
  cors({
    allowedHeaders: ['Content-Type', 'Authorization', 'X-API-Key', 'X-Request-ID'],
    exposedHeaders: ['X-Request-ID', 'RateLimit-Limit', 'RateLimit-Remaining', 'Retry-After', 'Location'],
  }),
);

// ---- step 5: rate limiting of /todos and /greet ----

const limiter = rateLimit({
  windowMs: (Number(process.env.RATE_WINDOW_SECONDS) || 60) * 1000,
  limit: Number(process.env.RATE_LIMIT) || 100,
  standardHeaders: 'draft-6', // RateLimit-Limit, -Remaining, -Reset, -Policy
  legacyHeaders: false,
  keyGenerator: (req) => req.get('X-API-Key') || 'anonymous',
  handler: (req, res) => res.status(429).json({ error: 'too many requests' }),
});
app.use(['/todos', '/greet'], limiter);

// ---- bodies: JSON objects only, at most 1 MiB ----

const jsonBody = express.json({ limit: '1mb', strict: true });

function requireObject(req) {
  if (!req.is('application/json') || req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
    throw httpError(400, 'the body must be a JSON object');
  }
  return req.body;
}

function httpError(status, message) {
  return Object.assign(new Error(message), { status, expose: true });
}

// notAllowed answers 405 with the methods a route serves.
const notAllowed = (allow) => (req, res) => {
  res.set('Allow', allow);
  res.status(405).json({ error: 'method not allowed' });
};

// ---- step 1 ----

app.route('/').get((req, res) => {
  res.type('html').send('<!doctype html><title>Hello</title><h1>Hello Backend World!</h1>');
}).all(notAllowed('GET'));

app.route('/health').get((req, res) => res.json({ status: 'ok' })).all(notAllowed('GET'));

// ---- step 2 ----

const greeting = (name) => ({ message: `Hello, ${name || 'World'}!` });

app.route('/greet')
  .get((req, res) => res.json(greeting(typeof req.query.name === 'string' ? req.query.name : '')))
  .post(jsonBody, (req, res) => {
    const body = requireObject(req);
    if (typeof body.name !== 'string' || body.name === '') throw httpError(400, 'name must be a non-empty string');
    res.json(greeting(body.name));
  })
  .all(notAllowed('GET, POST'));

app.route('/greet/:name').get((req, res) => res.json(greeting(req.params.name))).all(notAllowed('GET'));

// ---- step 3 ----

const todos = new Map();
let nextId = 1;

function validTitle(title) {
  if (typeof title !== 'string' || title.trim() === '') throw httpError(400, 'title is required');
  if ([...title].length > 200) throw httpError(400, 'title must be at most 200 characters');
  return title;
}

function validCompleted(completed) {
  if (typeof completed !== 'boolean') throw httpError(400, 'completed must be a boolean');
  return completed;
}

function positive(raw, fallback, name) {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^[0-9]+$/.test(raw) || Number(raw) < 1) throw httpError(400, `${name} must be a positive integer`);
  return Number(raw);
}

function findTodo(req) {
  const todo = /^[0-9]+$/.test(req.params.id) ? todos.get(Number(req.params.id)) : undefined;
  if (!todo) throw httpError(404, 'todo not found');
  return todo;
}

app.route('/todos')
  .get((req, res) => {
    const page = positive(req.query.page, 1, 'page');
    const limit = Math.min(positive(req.query.limit, 10, 'limit'), 100);
    const all = [...todos.values()];
    res.json({ data: all.slice((page - 1) * limit, page * limit), page, limit, total: all.length });
  })
  .post(jsonBody, (req, res) => {
    const body = requireObject(req);
    const todo = {
      id: nextId++,
      title: validTitle(body.title),
      completed: 'completed' in body ? validCompleted(body.completed) : false,
    };
    todos.set(todo.id, todo);
    res.status(201).location(`/todos/${todo.id}`).json(todo);
  })
  .all(notAllowed('GET, POST'));

app.route('/todos/:id')
  .get((req, res) => res.json(findTodo(req)))
  .put(jsonBody, (req, res) => {
    const todo = findTodo(req);
    const body = requireObject(req);
    const title = validTitle(body.title);
    const completed = 'completed' in body ? validCompleted(body.completed) : false;
    Object.assign(todo, { title, completed });
    res.json(todo);
  })
  .patch(jsonBody, (req, res) => {
    const todo = findTodo(req);
    const body = requireObject(req);
    const title = 'title' in body ? validTitle(body.title) : todo.title;
    const completed = 'completed' in body ? validCompleted(body.completed) : todo.completed;
    Object.assign(todo, { title, completed });
    res.json(todo);
  })
  .delete((req, res) => {
    todos.delete(findTodo(req).id);
    res.status(204).end();
  })
  .all(notAllowed('GET, PUT, PATCH, DELETE'));

// ---- step 4: a failing handler ----

app.get('/boom', () => {
  throw new Error('boom: something broke inside the handler');
});

// ---- step 6: users and server-side sessions ----

const users = new Map(); // username -> { salt, hash }

function hashPassword(password, salt) {
  return crypto.scryptSync(password, salt, 32);
}

app.use(
  session({
    name: 'session',
    secret: crypto.randomBytes(32).toString('hex'),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', path: '/' },
  }),
);

app.route('/register').post(jsonBody, (req, res) => {
  const { username, password } = requireObject(req);
  if (typeof username !== 'string' || !/^[A-Za-z0-9_]{3,32}$/.test(username)) {
    throw httpError(400, 'username must be 3-32 letters, digits or _');
  }
  if (typeof password !== 'string' || [...password].length < 8) throw httpError(400, 'password must be at least 8 characters');
  if (users.has(username)) throw httpError(409, 'username is taken');
  const salt = crypto.randomBytes(16);
  users.set(username, { salt, hash: hashPassword(password, salt) });
  res.status(201).json({ username });
}).all(notAllowed('POST'));

app.route('/login').post(jsonBody, (req, res, next) => {
  const { username, password } = requireObject(req);
  const user = typeof username === 'string' ? users.get(username) : undefined;
  const ok = user && typeof password === 'string' && crypto.timingSafeEqual(hashPassword(password, user.salt), user.hash);
  if (!ok) throw httpError(401, 'invalid username or password');
  req.session.regenerate((err) => {
    if (err) return next(err);
    req.session.username = username;
    res.json({ username });
  });
}).all(notAllowed('POST'));

app.route('/profile').get((req, res) => {
  if (!req.session.username) throw httpError(401, 'not logged in');
  res.json({ username: req.session.username });
}).all(notAllowed('GET'));

app.route('/logout').post((req, res, next) => {
  req.session.destroy((err) => {
    if (err) return next(err);
    res.clearCookie('session', { path: '/', httpOnly: true, sameSite: 'lax' });
    res.status(204).end();
  });
}).all(notAllowed('POST'));

// ---- errors: JSON, never a stack trace ----

app.use((req, res) => res.status(404).json({ error: 'not found' }));

// eslint-disable-next-line no-unused-vars
app.use((err, req, res, next) => {
  const status = err.status || err.statusCode || 500;
  if (status >= 500) console.error(err);
  res.status(status).json({ error: status >= 500 ? 'internal server error' : err.expose ? err.message : 'bad request' });
});

const port = Number(process.env.PORT) || 8080;
app.listen(port, '0.0.0.0', () => console.log(`listening on http://0.0.0.0:${port}`));
