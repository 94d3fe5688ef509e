console.log(require("@demo/shared").greet("cli"));
