const ms = require('ms');

exports.greet = (who) => `hello ${who} from @demo/shared (ms says 2h = ${ms(2 * 60 * 60 * 1000)})`;
