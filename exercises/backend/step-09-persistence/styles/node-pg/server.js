'use strict';

// Steps 1-9 (hello server, routes and params, todo API, middleware, rate
// limiting, sessions, JWT, roles, persistence) with the data in PostgreSQL:
// the step-9 reference solution with its JSON file replaced by the `pg`
// package. coach.yaml declares `services: [postgres]`, so coach runs a
// database beside the server and sets DATABASE_URL. Todos, users and notes
// are tables, created at start if missing; every change is one SQL statement
// that has committed before the answer, and ids come from identity columns,
// which never hand out a number twice, across restarts too. Sessions and
// refresh tokens stay in memory: a restart logs everyone out, which the
// contract allows.

const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Pool } = require('pg');
const jwt = require('./jwt');

const PORT = Number(process.env.PORT) || 8080;
const DATA_DIR = path.resolve(process.env.DATA_DIR || 'data');
const MAX_TITLE = 200;
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;
const MAX_BODY = 1024 * 1024; // 1 MiB
// A body bigger than this is not even drained: the connection is closed.
const MAX_DRAIN = 64 * 1024 * 1024;

// envInt reads a positive integer from the environment, or the default.
function envInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) {
    console.log(`${name}=${JSON.stringify(raw)} is not a positive integer; using ${fallback}`);
    return fallback;
  }
  return n;
}

const RATE_LIMIT = envInt('RATE_LIMIT', 100);
const RATE_WINDOW_SECONDS = envInt('RATE_WINDOW_SECONDS', 60);
const SESSION_TTL_SECONDS = 24 * 60 * 60;
const ACCESS_TOKEN_TTL_SECONDS = envInt('ACCESS_TOKEN_TTL_SECONDS', 900);
const REFRESH_TOKEN_TTL_SECONDS = 7 * 24 * 60 * 60;
const JWT_SECRET = process.env.JWT_SECRET || generatedSecret();
const ADMIN_USERNAMES = new Set((process.env.ADMIN_USERNAMES || '').split(',').map((u) => u.trim()).filter(Boolean));

// generatedSecret is the signing key when JWT_SECRET is not set: random, and
// kept in $DATA_DIR so tokens outlive a restart.
function generatedSecret() {
  const file = path.join(DATA_DIR, 'jwt-secret');
  fs.mkdirSync(DATA_DIR, { recursive: true });
  try {
    fs.writeFileSync(file, crypto.randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 });
    console.log(`JWT_SECRET is not set: signing tokens with a random key kept in ${file}`);
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
  }
  return fs.readFileSync(file, 'utf8').trim();
}

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

if (!process.env.DATABASE_URL) {
  console.error('DATABASE_URL is not set: declare `services: [postgres]` in coach.yaml');
  process.exit(1);
}
// The pool hands each query a connection of its own, so concurrent requests
// run their statements side by side; Postgres keeps them apart.
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

// sql runs one statement and resolves to its rows.
async function sql(text, params = []) {
  return (await pool.query(text, params)).rows;
}

// todoRows reads and writes the todos table (step 9's store, where the
// reference solution keeps a Map and a JSON file). Each method is one
// statement, so each is atomic: no lock is needed, and concurrent requests
// neither lose nor double a write. Ids come from the identity column.
const TODO = 'id, title, completed';
const todoRows = {
  // page resolves to one page of todos in creation (id) order and the
  // total, from one statement and so from one snapshot.
  async page(limit, offset) {
    const [{ total, data }] = await sql(
      `WITH page AS (SELECT ${TODO} FROM todos ORDER BY id LIMIT $1 OFFSET $2)
       SELECT (SELECT count(*)::int FROM todos) AS total,
              (SELECT coalesce(json_agg(page ORDER BY id), '[]'::json) FROM page) AS data`,
      [limit, offset]);
    return { total, data };
  },
  async create(title, completed) {
    const [todo] = await sql(`INSERT INTO todos (title, completed) VALUES ($1, $2) RETURNING ${TODO}`, [title, completed]);
    return todo;
  },
  async get(id) {
    return (await sql(`SELECT ${TODO} FROM todos WHERE id = $1`, [id]))[0];
  },
  // update sets the fields that are not null, read and written in one
  // statement: a concurrent PATCH of the other field is not undone. It
  // resolves to undefined when the todo is gone.
  async update(id, title, completed) {
    return (await sql(
      `UPDATE todos SET title = coalesce($2, title), completed = coalesce($3, completed) WHERE id = $1 RETURNING ${TODO}`,
      [id, title, completed]))[0];
  },
  async remove(id) {
    return (await sql('DELETE FROM todos WHERE id = $1 RETURNING id', [id])).length > 0;
  },
};

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

// rowId parses a todo or note id from the path; undefined for one that cannot
// exist (ids are positive 32-bit integers).
function rowId(raw) {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || String(id) !== raw || id < 1 || id > 2147483647) return undefined;
  return id;
}

// found answers 404 for a todo that is not there.
function found(todo) {
  if (!todo) throw new HttpError(404, 'todo not found');
  return todo;
}

async function mustFindTodo(raw) {
  const id = rowId(raw);
  return found(id === undefined ? undefined : await todoRows.get(id));
}

// positive parses a page or limit query parameter: a missing one takes the
// default, anything but a positive integer is NaN.
function positive(raw, fallback) {
  if (raw === null) return fallback;
  if (!/^[0-9]+$/.test(raw)) return NaN;
  const n = Number(raw);
  return n >= 1 ? n : NaN;
}

async function listTodos(req, res, url) {
  const page = positive(url.searchParams.get('page'), 1);
  if (Number.isNaN(page)) throw new HttpError(400, 'page must be a positive integer');
  let limit = positive(url.searchParams.get('limit'), DEFAULT_LIMIT);
  if (Number.isNaN(limit)) throw new HttpError(400, 'limit must be a positive integer');
  limit = Math.min(limit, MAX_LIMIT);
  const { total, data } = await todoRows.page(limit, (page - 1) * limit);
  sendJSON(res, 200, { data, page, limit, total, pages: Math.ceil(total / limit) });
}

async function createTodo(req, res) {
  const { title, completed } = await readObject(req);
  const problem = titleError(title) || completedError(completed);
  if (problem) throw new HttpError(400, problem);
  const todo = await todoRows.create(title, completed === true);
  sendJSON(res, 201, todo, { Location: `/todos/${todo.id}` });
}

async function getTodo(req, res, url, params) {
  sendJSON(res, 200, await mustFindTodo(params[0]));
}

async function replaceTodo(req, res, url, params) {
  const id = (await mustFindTodo(params[0])).id;
  const { title, completed } = await readObject(req);
  const problem = titleError(title) || completedError(completed);
  if (problem) throw new HttpError(400, problem);
  sendJSON(res, 200, found(await todoRows.update(id, title, completed === true)));
}

async function patchTodo(req, res, url, params) {
  const id = (await mustFindTodo(params[0])).id;
  const patch = await readObject(req);
  const problem = ('title' in patch ? titleError(patch.title) : null) || completedError(patch.completed);
  if (problem) throw new HttpError(400, problem);
  // A missing field is null: the stored value stays.
  sendJSON(res, 200, found(await todoRows.update(id, 'title' in patch ? patch.title : null,
    'completed' in patch ? patch.completed : null)));
}

async function deleteTodo(req, res, url, params) {
  const id = (await mustFindTodo(params[0])).id;
  if (!(await todoRows.remove(id))) throw new HttpError(404, 'todo not found');
  noContent(res);
}

// ---- step 4 ----

// boom fails on purpose: the global error handler must answer for it.
function boom() {
  throw new Error('boom: this handler always fails');
}

// ---- step 5 ----

// FixedWindowLimiter counts requests per key in windows of windowMs that
// start with the key's first request. Node runs handlers one at a time, so
// take() needs no lock: a burst can never let more than `limit` through.
class FixedWindowLimiter {
  constructor(limit, windowMs) {
    this.limit = limit;
    this.windowMs = windowMs;
    this.windows = new Map(); // key -> { start, count }
    // Forget windows that are over, so idle keys do not pile up.
    setInterval(() => this.sweep(), windowMs).unref();
  }

  take(key, now = Date.now()) {
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    const resetMs = w.start + this.windowMs - now;
    const allowed = w.count < this.limit;
    if (allowed) w.count++;
    return { allowed, remaining: this.limit - w.count, resetSeconds: Math.max(1, Math.ceil(resetMs / 1000)) };
  }

  sweep(now = Date.now()) {
    for (const [key, w] of this.windows) {
      if (now - w.start >= this.windowMs) this.windows.delete(key);
    }
  }
}

const limiter = new FixedWindowLimiter(RATE_LIMIT, RATE_WINDOW_SECONDS * 1000);

function isRateLimited(path) {
  return path === '/todos' || path.startsWith('/todos/') || path === '/greet' || path.startsWith('/greet/');
}

// rateLimit charges the request to its API key (or "anonymous") and throws
// 429 once the key's window is used up. Every answer carries the counters.
function rateLimit(req, res) {
  const key = req.headers['x-api-key'] || 'anonymous';
  const { allowed, remaining, resetSeconds } = limiter.take(key);
  res.setHeader('RateLimit-Limit', String(RATE_LIMIT));
  res.setHeader('RateLimit-Remaining', String(remaining));
  res.setHeader('RateLimit-Reset', String(resetSeconds));
  res.setHeader('RateLimit-Policy', `${RATE_LIMIT};w=${RATE_WINDOW_SECONDS}`);
  if (!allowed) {
    throw new HttpError(429, `rate limit exceeded: ${RATE_LIMIT} requests per ${RATE_WINDOW_SECONDS} s`, {
      'Retry-After': String(Math.min(resetSeconds, RATE_WINDOW_SECONDS)),
    });
  }
}

// ---- step 6 ----

// Users are rows of the users table, keyed by username (case-sensitive). A
// password is stored as scrypt$N$r$p$salt$hash, never in clear.
//
// findUser resolves to the user with that username, or undefined.
async function findUser(username) {
  const [user] = await sql('SELECT username, password, created_at FROM users WHERE username = $1', [username]);
  return user;
}

// Sessions, keyed by the SHA-256 of the cookie value: a leaked store does not
// leak usable cookies.
const sessions = new Map();

const USERNAME_RE = /^[A-Za-z0-9_]{3,32}$/;
const MIN_PASSWORD = 8;
const SCRYPT = { N: 16384, r: 8, p: 1 };
const KEY_LEN = 32;

function scrypt(password, salt, params) {
  return new Promise((resolve, reject) => {
    crypto.scrypt(password, salt, KEY_LEN, { ...params, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key));
  });
}

async function hashPassword(password) {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

async function verifyPassword(password, stored) {
  const [, N, r, p, salt, hash] = stored.split('$');
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(password, Buffer.from(salt, 'base64'), { N: Number(N), r: Number(r), p: Number(p) });
  return key.length === expected.length && crypto.timingSafeEqual(key, expected);
}

// A hash to check unknown usernames against, so they take as long as wrong
// passwords and the timing does not tell which usernames exist.
const dummyHash = hashPassword(crypto.randomBytes(16).toString('hex'));

// credentialsOf validates a {"username","password"} body.
async function credentialsOf(req) {
  const { username, password } = await readObject(req);
  if (typeof username !== 'string' || !USERNAME_RE.test(username)) {
    throw new HttpError(400, 'username must be 3-32 letters, digits or underscores');
  }
  if (typeof password !== 'string' || [...password].length < MIN_PASSWORD) {
    throw new HttpError(400, `password must be at least ${MIN_PASSWORD} characters`);
  }
  return { username, password };
}

// authenticate resolves to the user for a username and password, or throws
// 401 with the same message whichever of the two is wrong.
async function authenticate(body) {
  const { username, password } = isObject(body) ? body : {};
  const user = typeof username === 'string' ? await findUser(username) : undefined;
  const ok = await verifyPassword(typeof password === 'string' ? password : '', user ? user.password : await dummyHash);
  if (!user || !ok) throw new HttpError(401, 'invalid username or password');
  return user;
}

async function register(req, res) {
  const { username, password } = await credentialsOf(req);
  if (await findUser(username)) throw new HttpError(409, 'username is already taken');
  const hash = await hashPassword(password);
  // The primary key decides: another registration may have won while we
  // hashed, and then this INSERT adds nothing.
  const [user] = await sql(
    `INSERT INTO users (username, password, created_at) VALUES ($1, $2, $3)
     ON CONFLICT (username) DO NOTHING RETURNING username, created_at`,
    [username, hash, new Date().toISOString()]);
  if (!user) throw new HttpError(409, 'username is already taken');
  sendJSON(res, 201, user);
}

function sessionKey(id) {
  return crypto.createHash('sha256').update(id).digest('base64url');
}

function parseCookies(req) {
  const out = {};
  for (const part of (req.headers.cookie || '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name && !(name in out)) out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

const COOKIE_ATTRS = 'Path=/; HttpOnly; SameSite=Strict';

async function login(req, res) {
  const user = await authenticate(await readJSON(req));
  // 256 bits from the CSPRNG: unguessable, and different for every login.
  const id = crypto.randomBytes(32).toString('base64url');
  sessions.set(sessionKey(id), { username: user.username, expires: Date.now() + SESSION_TTL_SECONDS * 1000 });
  sendJSON(res, 200, { username: user.username }, {
    'Set-Cookie': `session=${id}; ${COOKIE_ATTRS}; Max-Age=${SESSION_TTL_SECONDS}`,
  });
}

// sessionUser resolves to the user behind the request's session cookie, or
// undefined.
async function sessionUser(req) {
  const id = parseCookies(req).session;
  if (!id) return undefined;
  const key = sessionKey(id);
  const session = sessions.get(key);
  if (!session) return undefined;
  if (session.expires <= Date.now()) {
    sessions.delete(key);
    return undefined;
  }
  return findUser(session.username);
}

async function profile(req, res) {
  const user = await sessionUser(req);
  if (!user) throw new HttpError(401, 'not logged in');
  sendJSON(res, 200, { username: user.username, created_at: user.created_at });
}

async function logout(req, res) {
  const id = parseCookies(req).session;
  if (id) sessions.delete(sessionKey(id));
  noContent(res, {
    'Set-Cookie': `session=; ${COOKIE_ATTRS}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT`,
  });
}

// ---- step 7 ----

// Refresh tokens are opaque and single-use, keyed (like sessions) by their
// SHA-256.
const refreshTokens = new Map();

// Notes are rows of the notes table; each belongs to the user who wrote it.
const NOTE = 'id, text, created_at';

function issueTokens(username) {
  const iat = Math.floor(Date.now() / 1000);
  const claims = { sub: username, role: roleOf(username), iat, exp: iat + ACCESS_TOKEN_TTL_SECONDS, jti: crypto.randomUUID() };
  const refresh = crypto.randomBytes(32).toString('base64url');
  refreshTokens.set(sessionKey(refresh), { username, expires: Date.now() + REFRESH_TOKEN_TTL_SECONDS * 1000 });
  return {
    access_token: jwt.sign(claims, JWT_SECRET),
    refresh_token: refresh,
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
  };
}

async function token(req, res) {
  const user = await authenticate(await readJSON(req));
  const pair = issueTokens(user.username);
  sendJSON(res, 200, pair, { 'Cache-Control': 'no-store' });
}

async function refresh(req, res) {
  const body = await readJSON(req);
  const given = isObject(body) ? body.refresh_token : undefined;
  if (typeof given !== 'string' || given === '') throw new HttpError(400, 'refresh_token is required');
  const key = sessionKey(given);
  const entry = refreshTokens.get(key);
  // Rotation: a refresh token is spent the first time it is shown.
  refreshTokens.delete(key);
  if (!entry || entry.expires <= Date.now()) {
    throw new HttpError(401, 'refresh token is invalid or already used');
  }
  const pair = issueTokens(entry.username);
  sendJSON(res, 200, pair, { 'Cache-Control': 'no-store' });
}

// bearer returns the verified claims of the request's access token, or
// throws 401.
function bearer(req) {
  const match = /^Bearer +([^ ]+) *$/i.exec(req.headers.authorization || '');
  const challenge = { 'WWW-Authenticate': 'Bearer' };
  if (!match) throw new HttpError(401, 'missing bearer token', challenge);
  try {
    return jwt.verify(match[1], JWT_SECRET);
  } catch (err) {
    throw new HttpError(401, err.message, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  }
}

// noteWhere matches a note the caller may see: another user's note is as
// unknown as a missing one. An admin may act on any note (anyOwner); see
// deleteNote. $1 is the id, $2 the caller, $3 anyOwner.
const noteWhere = 'id = $1 AND (owner = $2 OR $3)';

// noteQuery runs a statement on the note named by raw and answers 404 when
// it touched none.
async function noteQuery(text, raw, claims, anyOwner = false) {
  const id = rowId(raw);
  const rows = id === undefined ? [] : await sql(text, [id, claims.sub, anyOwner]);
  if (rows.length === 0) throw new HttpError(404, 'note not found');
  return rows[0];
}

async function createNote(req, res) {
  const claims = bearer(req);
  const { text } = await readObject(req);
  if (typeof text !== 'string' || text.trim() === '') throw new HttpError(400, 'text is required');
  const [note] = await sql(`INSERT INTO notes (owner, text, created_at) VALUES ($1, $2, $3) RETURNING ${NOTE}`,
    [claims.sub, text, new Date().toISOString()]);
  sendJSON(res, 201, note, { Location: `/notes/${note.id}` });
}

async function listNotes(req, res) {
  const claims = bearer(req);
  sendJSON(res, 200, await sql(`SELECT ${NOTE} FROM notes WHERE owner = $1 ORDER BY id`, [claims.sub]));
}

async function getNote(req, res, url, params) {
  sendJSON(res, 200, await noteQuery(`SELECT ${NOTE} FROM notes WHERE ${noteWhere}`, params[0], bearer(req)));
}

async function deleteNote(req, res, url, params) {
  const claims = bearer(req);
  await noteQuery(`DELETE FROM notes WHERE ${noteWhere} RETURNING id`, params[0], claims, claims.role === 'admin');
  noContent(res);
}

// ---- step 8 ----

function roleOf(username) {
  return ADMIN_USERNAMES.has(username) ? 'admin' : 'user';
}

// requireRole checks the role claim of a verified token: 401 without a
// valid token, 403 with one whose role is not enough.
function requireRole(req, role) {
  const claims = bearer(req);
  if (claims.role !== role) throw new HttpError(403, `this needs the ${role} role`);
  return claims;
}

async function adminUsers(req, res) {
  requireRole(req, 'admin');
  const users = await sql('SELECT username, created_at FROM users ORDER BY seq');
  sendJSON(res, 200, users.map((u) => ({
    username: u.username,
    role: roleOf(u.username),
    created_at: u.created_at,
  })));
}

// ---- step 9 ----

// SCHEMA creates the tables the first time and leaves them alone after.
// Identity columns come from sequences, which Postgres never winds back: a
// deleted todo's id is not handed out again, before or after a restart.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS todos (
  id        integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  title     text    NOT NULL,
  completed boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS users (
  seq        integer GENERATED ALWAYS AS IDENTITY,
  username   text PRIMARY KEY,
  password   text NOT NULL,
  created_at text NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
  id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner      text NOT NULL REFERENCES users (username),
  text       text NOT NULL,
  created_at text NOT NULL
);`;

async function migrate() {
  await pool.query(SCHEMA);
  const [c] = await sql(`SELECT (SELECT count(*)::int FROM todos) AS todos,
    (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM notes) AS notes`);
  console.log(`database ready: ${c.todos} todos, ${c.users} users and ${c.notes} notes`);
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
  { pattern: /^\/register$/, methods: { POST: register } },
  { pattern: /^\/login$/, methods: { POST: login } },
  { pattern: /^\/logout$/, methods: { POST: logout } },
  { pattern: /^\/profile$/, methods: { GET: profile } },
  { pattern: /^\/auth\/token$/, methods: { POST: token } },
  { pattern: /^\/auth\/refresh$/, methods: { POST: refresh } },
  { pattern: /^\/notes$/, methods: { GET: listNotes, POST: createNote } },
  { pattern: /^\/notes\/([^/]+)$/, methods: { GET: getNote, DELETE: deleteNote } },
  { pattern: /^\/admin\/users$/, methods: { GET: adminUsers } },
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
  // CORS preflights are not charged: the browser sends them, not the client.
  if (req.method !== 'OPTIONS' && isRateLimited(url.pathname)) rateLimit(req, res);
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

// Listen only once the tables are there; a database that cannot be reached
// stops the server with the reason.
migrate().then(() => {
  server.listen(PORT, '0.0.0.0', () => {
    console.log(`listening on http://0.0.0.0:${PORT}`);
  });
}, (err) => {
  console.error(`cannot prepare the database at ${new URL(process.env.DATABASE_URL).host}: ${err.message}`);
  process.exit(1);
});
