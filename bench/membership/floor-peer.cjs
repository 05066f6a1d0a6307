// One side of the idle-CPU floor benchmark (see floor-run.sh): the least a Node process can do
// to heartbeat a peer, in one of four modes. Plain CommonJS, run with the node that ships.
//   timer   a timer every INTERVAL ms, nothing else
//   udp     + a 100-byte UDP datagram to the peer each time, and the peer's received
//   aesgcm  + each datagram sealed with AES-256-GCM (a cipher per frame, as edgeha's codec),
//           and each received one opened
//   edgeha  (not here: floor-run.sh runs real agents for that row)
"use strict";
const v8 = require("node:v8");
v8.setFlagsFromString("--no-opt --no-sparkplug --no-maglev --optimize-for-size");
const dgram = require("node:dgram");
const crypto = require("node:crypto");
const [mode, local, peer, port, intervalMs] = process.argv.slice(2);
const key = crypto.createSecretKey(crypto.randomBytes(32));
const body = Buffer.alloc(100, 7);
let counter = 0;
if (mode === "timer") setInterval(() => {}, Number(intervalMs));
else {
  const socket = dgram.createSocket("udp4");
  socket.bind(Number(port), local);
  socket.on("message", (message) => {
    if (mode !== "aesgcm") return;
    const decipher = crypto.createDecipheriv("aes-256-gcm", key, message.subarray(0, 12));
    decipher.setAuthTag(message.subarray(message.length - 16));
    try { decipher.update(message.subarray(12, message.length - 16)); decipher.final(); } catch { /* a peer with another key */ }
  });
  setInterval(() => {
    let frame = body;
    if (mode === "aesgcm") {
      const nonce = Buffer.alloc(12);
      nonce.writeUInt32BE(++counter, 8);
      const cipher = crypto.createCipheriv("aes-256-gcm", key, nonce);
      frame = Buffer.concat([nonce, cipher.update(body), cipher.final(), cipher.getAuthTag()]);
    }
    socket.send(frame, Number(port), peer);
  }, Number(intervalMs));
}
