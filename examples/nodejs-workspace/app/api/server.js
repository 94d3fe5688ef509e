const http = require('http');
const ms = require('ms');
const { greet } = require('@demo/shared');

const port = process.env.PORT || 8080;
const server = http.createServer((req, res) => {
  res.end(`api: ${greet('workspace')}; one minute is ${ms('1m')} ms\n`);
});
server.listen(port, '0.0.0.0', () => console.log(`listening on ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
