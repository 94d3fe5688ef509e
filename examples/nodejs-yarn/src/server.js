const http = require('http');
const ms = require('ms');

const port = process.env.PORT || 8080;
const started = Date.now();
const server = http.createServer((req, res) => {
  res.end(`yarn app built with a build script, up ${ms(Date.now() - started + 60000)}\n`);
});
server.listen(port, '0.0.0.0');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
