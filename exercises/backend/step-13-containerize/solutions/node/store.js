'use strict';

// JsonStore keeps the whole database in one JSON file. The server holds the
// data in memory and calls save() after every change; save() resolves once a
// write that includes the change is on disk, so a handler that awaits it only
// acknowledges what a restart will find.
//
// Writes are atomic (a temporary file, fsync, then rename over the old one)
// and serialized: at most one is in flight, and every change made while it
// runs is gathered into the single write after it (group commit).

const fs = require('node:fs');
const path = require('node:path');

class JsonStore {
  // snapshot() returns the value to write; it is called when a write starts.
  constructor(file, snapshot) {
    this.file = file;
    this.tmp = `${file}.${process.pid}.tmp`;
    this.snapshot = snapshot;
    this.last = Promise.resolve(); // the write in flight (or the last one)
    this.queued = null; // the write that will gather the next changes
  }

  // load reads the file; undefined when there is none yet. A file that is
  // there but unreadable is an error: starting empty would lose the data.
  load() {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    let text;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new Error(`${this.file} is not valid JSON (${err.message}); move it away to start empty`);
    }
  }

  save() {
    if (!this.queued) {
      const next = this.last.then(() => {
        this.queued = null; // changes from now on need the write after this one
        return this.write();
      });
      this.queued = next;
      this.last = next.catch(() => {});
    }
    return this.queued;
  }

  async write() {
    const data = JSON.stringify(this.snapshot());
    const fh = await fs.promises.open(this.tmp, 'w', 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(this.tmp, this.file);
  }

  // flush resolves once every save() so far is on disk.
  flush() {
    return this.last;
  }
}

module.exports = { JsonStore };
