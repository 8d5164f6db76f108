'use strict';

// HS256 JSON Web Tokens (RFC 7519) by hand: HMAC-SHA256 over
// base64url(header) + "." + base64url(payload). Only HS256 is accepted, so a
// token claiming "alg": "none" (or RS256, or anything else) is rejected.

const crypto = require('node:crypto');

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

function mac(input, secret) {
  return crypto.createHmac('sha256', secret).update(input).digest();
}

function sign(claims, secret) {
  const body = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${body}.${mac(body, secret).toString('base64url')}`;
}

function decodePart(part) {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

// verify returns the claims of a valid, unexpired token, or throws an Error
// saying what is wrong with it. now is in seconds.
function verify(token, secret, now = Math.floor(Date.now() / 1000)) {
  const parts = String(token).split('.');
  if (parts.length !== 3) throw new Error('token is not a JWT');
  const [h, p, sig] = parts;
  const header = decodePart(h);
  if (!header) throw new Error('token header is not valid');
  if (header.alg !== 'HS256') throw new Error(`token algorithm ${JSON.stringify(header.alg)} is not accepted`);
  if (!/^[A-Za-z0-9_-]+$/.test(sig)) throw new Error('token signature is not valid');
  const expected = mac(`${h}.${p}`, secret);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    throw new Error('token signature is not valid');
  }
  const claims = decodePart(p);
  if (!claims) throw new Error('token payload is not valid');
  if (typeof claims.sub !== 'string' || claims.sub === '') throw new Error('token has no subject');
  if (typeof claims.exp !== 'number' || now >= claims.exp) throw new Error('token has expired');
  if (typeof claims.nbf === 'number' && now < claims.nbf) throw new Error('token is not valid yet');
  return claims;
}

module.exports = { sign, verify };
