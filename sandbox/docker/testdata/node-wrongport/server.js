const http = require("http");
// A classic mistake: a hard-coded port instead of process.env.PORT.
http.createServer((req, res) => res.end("hi")).listen(3000, () => console.log("listening on 3000"));
