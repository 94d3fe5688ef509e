// A build step: copies src/ to dist/ and stamps it, using a devDependency that prune removes later.
const fs = require('fs');
const isNumber = require('is-number');

fs.mkdirSync('dist', { recursive: true });
const src = fs.readFileSync('src/server.js', 'utf8');
fs.writeFileSync('dist/server.js', `// built (${isNumber(42) ? 'checked' : 'unchecked'})\n${src}`);
console.log('built dist/server.js');
