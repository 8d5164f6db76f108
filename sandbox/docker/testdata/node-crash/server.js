console.log("starting up");
console.error("Error: cannot find config.json");
process.exit(3);
