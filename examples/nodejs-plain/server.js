// No package.json, no dependencies: dockless detects server.js and runs it with node.
const http = require('http');

const port = process.env.PORT || 8080;
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`plain node ${process.version} says hi\n`);
});
server.listen(port, '0.0.0.0', () => console.log(`listening on ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
