const express = require('express');

const app = express();
const target = process.env.TARGET || 'World';

app.get('/', (req, res) => {
  res.send(`Hello ${target}!\n`);
});

const port = process.env.PORT || 8080;
const server = app.listen(port, '0.0.0.0', () => {
  console.log(`hello listening on ${port}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
