const http = require('http');
const fs = require('fs');
const path = require('path');
http.createServer((req, res) => {
  try {
    fs.writeFileSync(path.join(process.env.DATA_DIR, 'probe.txt'), 'ok');
    res.end(`wrote as uid ${process.getuid()}\n`);
  } catch (e) {
    res.statusCode = 500;
    res.end(`could not write: ${e.code}\n`);
  }
}).listen(process.env.PORT, () => console.log('listening'));
