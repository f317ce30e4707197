// Node.js's benchmark server, in Node's idiom: net.createServer, a 'data' listener,
// socket.write for replies. The same protocols as ../common/protocol.h.
//
//   node node_server.js pong|echo|http PORT
'use strict';
const net = require('net');

const mode = process.argv[2];
const port = Number(process.argv[3]);
if (!['pong', 'echo', 'http'].includes(mode) || !port) {
  console.error('usage: node node_server.js pong|echo|http PORT');
  process.exit(2);
}
const PONG = Buffer.from('+PONG\r\n');
const HTTP = Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n' +
                         'Connection: keep-alive\r\n\r\nHello, World!');
const cache = new Map(); // n -> n PONG replies concatenated

function replies(one, n) {
  if (n === 1) return one;
  let b = cache.get(n);
  if (!b) {
    b = Buffer.concat(Array(n).fill(one));
    cache.set(n, b);
  }
  return b;
}

function countLines(chunk) {
  let n = 0;
  let i = -1;
  while ((i = chunk.indexOf(10, i + 1)) !== -1) n++;
  return n;
}

const TERM = [13, 10, 13, 10];

const server = net.createServer({ noDelay: true }, (socket) => {
  if (mode === 'echo') {
    socket.on('data', (chunk) => {
      if (!socket.write(chunk)) socket.pause();
    });
    socket.on('drain', () => socket.resume());
  } else if (mode === 'pong') {
    socket.on('data', (chunk) => {
      const n = countLines(chunk);
      if (n) socket.write(replies(PONG, n));
    });
  } else {
    let st = 0;
    socket.on('data', (chunk) => {
      let n = 0;
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i];
        if (c === TERM[st]) {
          if (++st === 4) { n++; st = 0; }
        } else {
          st = c === 13 ? 1 : 0;
        }
      }
      if (n) socket.write(n === 1 ? HTTP : Buffer.concat(Array(n).fill(HTTP)));
    });
  }
  socket.on('error', () => {});
});
server.listen(port, '127.0.0.1');
