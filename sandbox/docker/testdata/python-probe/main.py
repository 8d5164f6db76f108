# A server that reports what it can see and reach from inside the sandbox,
# and keeps a counter in $DATA_DIR.
import json
import os
import signal
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

if os.environ.get("IGNORE_TERM") == "1":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def try_connect(target):
    if not target:
        return "no target"
    host, port = target.rsplit(":", 1)
    try:
        s = socket.create_connection((host, int(port)), timeout=3)
        s.close()
        return "connected"
    except OSError as e:
        return "failed: " + str(e)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        path = os.path.join(os.environ["DATA_DIR"], "count")
        if self.path == "/isolation":
            out = {
                "interfaces": [name for _, name in socket.if_nameindex()],
                "connect": try_connect(os.environ.get("TARGET", "")),
                "docker_sock": os.path.exists("/var/run/docker.sock"),
                "uid": os.getuid(),
            }
        elif self.path == "/count":
            n = int(open(path).read()) if os.path.exists(path) else 0
            n += 1
            with open(path, "w") as f:
                f.write(str(n))
            out = {"count": n}
        else:
            out = {"hello": "probe"}
        body = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


port = int(os.environ["PORT"])
print(f"listening on {port}", flush=True)
ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
