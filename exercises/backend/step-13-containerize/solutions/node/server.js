'use strict';

// Reference solution for steps 1-12 (hello server, routes and params, todo API,
// middleware, rate limiting, sessions, JWT, roles, persistence, HTTP caching,
// server-sent events, graceful shutdown). Standard
// library only: node:http, a small route table and a hand-written middleware
// chain around it; passwords are hashed with crypto.scrypt, tokens signed in
// jwt.js, and the data kept in $DATA_DIR/db.json by store.js.

const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const jwt = require('./jwt');
const { JsonStore } = require('./store');

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
  await db.save();
  publish('todo.created', todo);
  sendJSON(res, 201, todo, { Location: `/todos/${todo.id}` });
}

function getTodo(req, res, url, params) {
  const todo = mustFindTodo(params[0]);
  const etag = etagOf(todo);
  const headers = { ETag: etag, 'Cache-Control': 'no-cache' };
  if (noneMatch(req.headers['if-none-match'], etag)) {
    res.writeHead(304, headers);
    return res.end();
  }
  sendJSON(res, 200, todo, headers);
}

async function replaceTodo(req, res, url, params) {
  const todo = mustFindTodo(params[0]);
  checkIfMatch(req, todo);
  const { title, completed } = await readObject(req);
  const problem = titleError(title) || completedError(completed);
  if (problem) throw new HttpError(400, problem);
  todo.title = title;
  todo.completed = completed === true;
  await db.save();
  publish('todo.updated', todo);
  sendJSON(res, 200, todo, { ETag: etagOf(todo), 'Cache-Control': 'no-cache' });
}

async function patchTodo(req, res, url, params) {
  const todo = mustFindTodo(params[0]);
  checkIfMatch(req, todo);
  const patch = await readObject(req);
  const problem = ('title' in patch ? titleError(patch.title) : null) || completedError(patch.completed);
  if (problem) throw new HttpError(400, problem);
  if ('title' in patch) todo.title = patch.title;
  if ('completed' in patch) todo.completed = patch.completed;
  await db.save();
  publish('todo.updated', todo);
  sendJSON(res, 200, todo, { ETag: etagOf(todo), 'Cache-Control': 'no-cache' });
}

async function deleteTodo(req, res, url, params) {
  const todo = mustFindTodo(params[0]);
  checkIfMatch(req, todo);
  todos.delete(todo.id);
  await db.save();
  publish('todo.deleted', todo);
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

// Users, keyed by username (case-sensitive). A password is stored as
// scrypt$N$r$p$salt$hash, never in clear.
const users = new Map();
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
  const user = typeof username === 'string' ? users.get(username) : undefined;
  const ok = await verifyPassword(typeof password === 'string' ? password : '', user ? user.password : await dummyHash);
  if (!user || !ok) throw new HttpError(401, 'invalid username or password');
  return user;
}

async function register(req, res) {
  const { username, password } = await credentialsOf(req);
  if (users.has(username)) throw new HttpError(409, 'username is already taken');
  const hash = await hashPassword(password);
  // Checked again: another registration may have won while we hashed.
  if (users.has(username)) throw new HttpError(409, 'username is already taken');
  const user = { username, password: hash, created_at: new Date().toISOString() };
  users.set(username, user);
  await db.save();
  sendJSON(res, 201, { username, created_at: user.created_at });
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
  await db.save();
  sendJSON(res, 200, { username: user.username }, {
    'Set-Cookie': `session=${id}; ${COOKIE_ATTRS}; Max-Age=${SESSION_TTL_SECONDS}`,
  });
}

// sessionUser is the user behind the request's session cookie, or undefined.
function sessionUser(req) {
  const id = parseCookies(req).session;
  if (!id) return undefined;
  const key = sessionKey(id);
  const session = sessions.get(key);
  if (!session) return undefined;
  if (session.expires <= Date.now()) {
    sessions.delete(key);
    return undefined;
  }
  return users.get(session.username);
}

function profile(req, res) {
  const user = sessionUser(req);
  if (!user) throw new HttpError(401, 'not logged in');
  sendJSON(res, 200, { username: user.username, created_at: user.created_at });
}

async function logout(req, res) {
  const id = parseCookies(req).session;
  if (id && sessions.delete(sessionKey(id))) await db.save();
  noContent(res, {
    'Set-Cookie': `session=; ${COOKIE_ATTRS}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT`,
  });
}

// ---- step 7 ----

// Refresh tokens are opaque and single-use, keyed (like sessions) by their
// SHA-256.
const refreshTokens = new Map();

// Notes, keyed by id; each belongs to the user who wrote it.
const notes = new Map();
let nextNoteId = 1;

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
  await db.save();
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
    if (entry) await db.save();
    throw new HttpError(401, 'refresh token is invalid or already used');
  }
  const pair = issueTokens(entry.username);
  await db.save();
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

function noteView(note) {
  return { id: note.id, text: note.text, created_at: note.created_at };
}

// findNote finds a note the caller may see: another user's note is as
// unknown as a missing one.
// An admin may act on any note (anyOwner); see deleteNote.
function findNote(raw, claims, anyOwner = false) {
  const id = Number(raw);
  const note = Number.isSafeInteger(id) && String(id) === raw ? notes.get(id) : undefined;
  if (!note || (note.owner !== claims.sub && !anyOwner)) throw new HttpError(404, 'note not found');
  return note;
}

async function createNote(req, res) {
  const claims = bearer(req);
  const { text } = await readObject(req);
  if (typeof text !== 'string' || text.trim() === '') throw new HttpError(400, 'text is required');
  const note = { id: nextNoteId++, owner: claims.sub, text, created_at: new Date().toISOString() };
  notes.set(note.id, note);
  await db.save();
  sendJSON(res, 201, noteView(note), { Location: `/notes/${note.id}` });
}

function listNotes(req, res) {
  const claims = bearer(req);
  sendJSON(res, 200, [...notes.values()].filter((n) => n.owner === claims.sub).map(noteView));
}

function getNote(req, res, url, params) {
  sendJSON(res, 200, noteView(findNote(params[0], bearer(req))));
}

async function deleteNote(req, res, url, params) {
  const claims = bearer(req);
  const note = findNote(params[0], claims, claims.role === 'admin');
  notes.delete(note.id);
  await db.save();
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

function adminUsers(req, res) {
  requireRole(req, 'admin');
  sendJSON(res, 200, [...users.values()].map((u) => ({
    username: u.username,
    role: roleOf(u.username),
    created_at: u.created_at,
  })));
}

// ---- step 9 ----

// The database file holds every record and the id counters, so ids are
// never handed out twice, even across restarts.
const db = new JsonStore(path.join(DATA_DIR, 'db.json'), () => ({
  version: 1,
  next_todo_id: nextId,
  todos: [...todos.values()],
  users: [...users.values()],
  sessions: [...sessions],
  refresh_tokens: [...refreshTokens],
  next_note_id: nextNoteId,
  notes: [...notes.values()],
}));

function restore(saved) {
  if (!saved) return;
  for (const t of saved.todos || []) todos.set(t.id, t);
  for (const u of saved.users || []) users.set(u.username, u);
  const now = Date.now();
  for (const [k, v] of saved.sessions || []) if (v.expires > now) sessions.set(k, v);
  for (const [k, v] of saved.refresh_tokens || []) if (v.expires > now) refreshTokens.set(k, v);
  for (const n of saved.notes || []) notes.set(n.id, n);
  nextId = Math.max(saved.next_todo_id || 1, ...[...todos.keys()].map((id) => id + 1));
  nextNoteId = Math.max(saved.next_note_id || 1, ...[...notes.keys()].map((id) => id + 1));
  console.log(`loaded ${todos.size} todos, ${users.size} users and ${notes.size} notes from ${db.file}`);
}

// ---- step 10 ----

// etagOf is a strong validator: a hash of the exact representation, so it
// changes whenever the todo does (and is the same after a restart).
function etagOf(todo) {
  return `"${crypto.createHash('sha256').update(JSON.stringify(todo)).digest('base64url').slice(0, 27)}"`;
}

function entityTags(header) {
  return String(header).split(',').map((t) => t.trim()).filter(Boolean);
}

// noneMatch is If-None-Match's weak comparison (RFC 9110 13.1.2): W/"x"
// matches "x".
function noneMatch(header, etag) {
  if (!header) return false;
  return entityTags(header).some((t) => t === '*' || t.replace(/^W\//, '') === etag);
}

// checkIfMatch throws 412 when If-Match names no current version of the todo;
// If-Match uses the strong comparison, so a weak tag never matches.
function checkIfMatch(req, todo) {
  const header = req.headers['if-match'];
  if (header === undefined) return;
  const etag = etagOf(todo);
  if (!entityTags(header).some((t) => t === '*' || t === etag)) {
    throw new HttpError(412, 'precondition failed: the todo has changed since you read it', { ETag: etag });
  }
}

// ---- step 11 ----

// The open /events streams. A stream that errors or closes is dropped; the
// others never notice.
const streams = new Set();
let eventId = 0;
const SSE_PING_MS = 15000;

function events(req, res) {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  // The comment sends the headers now and tells the client the stream is on.
  res.write('retry: 3000\n: connected\n\n');
  req.socket.setNoDelay(true);
  streams.add(res);
  const ping = setInterval(() => res.write(': ping\n\n'), SSE_PING_MS);
  const drop = () => {
    clearInterval(ping);
    streams.delete(res);
  };
  res.on('close', drop);
  res.on('error', drop);
}

// publish sends one event to every open stream, with the data as one line of
// JSON (JSON.stringify never emits a newline).
function publish(type, todo) {
  const frame = `id: ${++eventId}\nevent: ${type}\ndata: ${JSON.stringify(todo)}\n\n`;
  for (const res of streams) {
    if (res.destroyed || res.writableEnded) {
      streams.delete(res);
      continue;
    }
    res.write(frame);
  }
}

// ---- step 12 ----

const MAX_SLOW_MS = 10000;
// How long a shutdown waits for requests in flight before it gives up on
// them: under the 5 s an orchestrator usually grants before SIGKILL.
const SHUTDOWN_GRACE_MS = 4500;

let ready = false; // true once the data is loaded and the port is open
let shuttingDown = false;
let inFlight = 0; // requests whose response is not finished (streams included)

function readiness(req, res) {
  if (!ready || shuttingDown) {
    return sendJSON(res, 503, { status: shuttingDown ? 'shutting down' : 'starting' }, { 'Retry-After': '1' });
  }
  sendJSON(res, 200, { status: 'ready' });
}

function slow(req, res, url) {
  const raw = url.searchParams.get('ms');
  if (raw === null || !/^[0-9]{1,5}$/.test(raw) || Number(raw) > MAX_SLOW_MS) {
    throw new HttpError(400, `ms must be an integer from 0 to ${MAX_SLOW_MS}`);
  }
  const ms = Number(raw);
  const timer = setTimeout(() => sendJSON(res, 200, { slept_ms: ms }), ms);
  res.on('close', () => clearTimeout(timer));
}

// trackInFlight counts a request until its response is finished or its
// client is gone.
function trackInFlight(res) {
  inFlight++;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    inFlight--;
  };
  res.on('finish', finish);
  res.on('close', finish);
}

// shutdown stops accepting connections, ends the event streams (they never
// finish by themselves), waits for the requests in flight, makes sure the
// last write is on disk and exits 0.
function shutdown(signal) {
  if (shuttingDown) return;
  shuttingDown = true;
  console.log(`${signal} received: shutting down (${inFlight} request(s) in flight)`);
  server.close();
  for (const res of streams) res.end();
  const exit = (message) => {
    db.flush().then(() => {
      console.log(message);
      process.exit(0);
    });
  };
  const deadline = Date.now() + SHUTDOWN_GRACE_MS;
  const poll = setInterval(() => {
    // Keep-alive connections with no request in flight would hold the
    // server open; close them as they become idle.
    if (server.closeIdleConnections) server.closeIdleConnections();
    if (inFlight === 0) {
      clearInterval(poll);
      exit('shutdown complete');
    } else if (Date.now() >= deadline) {
      clearInterval(poll);
      console.log(`${inFlight} request(s) still in flight after ${SHUTDOWN_GRACE_MS} ms: dropping them`);
      exit('shutdown forced');
    }
  }, 25);
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

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
  { pattern: /^\/events$/, methods: { GET: events } },
  { pattern: /^\/ready$/, methods: { GET: readiness } },
  { pattern: /^\/slow$/, methods: { GET: slow } },
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
  trackInFlight(res);
  // While shutting down, no connection is kept for another request.
  if (shuttingDown) res.setHeader('Connection', 'close');

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

restore(db.load());

server.listen(PORT, '0.0.0.0', () => {
  ready = true;
  console.log(`listening on http://0.0.0.0:${PORT}`);
});
