const leftPad = require('left-pad');
require('http').createServer((req, res) => res.end(leftPad('web', 8) + '\n')).listen(process.env.PORT || 8080);
