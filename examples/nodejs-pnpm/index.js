const http = require('http');
const kleur = require('kleur');

const port = process.env.PORT || 8080;
const server = http.createServer((req, res) => {
  res.end(`pnpm app (${kleur.enabled ? 'kleur loaded' : 'kleur loaded, no tty'})\n`);
});
server.listen(port, '0.0.0.0', () => console.log(kleur.green(`listening on ${port}`)));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
