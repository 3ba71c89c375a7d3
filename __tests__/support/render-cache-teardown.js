// See render-cache.js.
'use strict';
module.exports = require('./render-cache').teardown;
