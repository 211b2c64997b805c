// The ceiling for single-record HTTP: a bare node:http server that reads the request body and
// answers a fixed produce-shaped JSON. Prints its port on stdout.
import * as http from 'node:http';

const ANSWER = JSON.stringify({ offsets: [{ partition: 0, offset: 0, timestamp: 0 }] });

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(ANSWER),
    });
    res.end(ANSWER);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as import('node:net').AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
