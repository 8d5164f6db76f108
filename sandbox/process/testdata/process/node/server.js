// A tiny server for the process backend's tests: GET / answers "hi";
// PUT /note stores the body in $DATA_DIR/note and GET /note reads it back.
const http = require("http");
const fs = require("fs");
const path = require("path");

const port = Number(process.env.PORT || 8080);
const note = path.join(process.env.DATA_DIR || ".", "note");

http
  .createServer((req, res) => {
    if (req.method === "GET" && req.url === "/") {
      res.end("hi");
    } else if (req.method === "PUT" && req.url === "/note") {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        fs.writeFileSync(note, Buffer.concat(chunks));
        res.end("stored");
      });
    } else if (req.method === "GET" && req.url === "/note") {
      fs.readFile(note, (err, data) => {
        if (err) {
          res.statusCode = 404;
          res.end("no note");
          return;
        }
        res.end(data);
      });
    } else {
      res.statusCode = 404;
      res.end("not found");
    }
  })
  .listen(port, () => console.log(`node server listening on ${port}`));
