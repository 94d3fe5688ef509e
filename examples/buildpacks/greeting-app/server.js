// Serves the greeting the greeting-page buildpack wrote at build time.
const fs = require("fs");
const http = require("http");

const greeting = fs.readFileSync(process.env.GREETING_FILE, "utf8");
const server = http.createServer((req, res) => res.end(greeting));
server.listen(Number(process.env.PORT || 8080), "0.0.0.0");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
