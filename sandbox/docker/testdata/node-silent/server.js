// A server that starts and never listens anywhere: only Ctrl-C (or the
// start timeout) ends the wait for it.
console.log("starting, but never listening");
setInterval(() => {}, 1000);
