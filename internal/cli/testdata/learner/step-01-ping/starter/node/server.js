// Starter: answers 404 to everything. Add GET /ping.
const http = require('http');
http.createServer((req, res) => { res.writeHead(404); res.end(); }).listen(process.env.PORT || 8080);
