const child_process = require('child_process');

function run(userInput) {
  child_process.exec(userInput);
  return eval(userInput);
}

function load() {
  return fetch("http://example.com/data.json");
}

module.exports = { run, load };
