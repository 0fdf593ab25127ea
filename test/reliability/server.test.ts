/**
 * Class 7 of issue 14: `serve` resolves real paths inside its roots (a symlink in the export folder to /etc is
 * not followed out) and answers only requests whose Host names the bound address (no DNS rebinding).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostAllowed, startServer } from '../../src/export/server.js';
import { writeTintemJson } from '../../src/export/exporter.js';
import { tempDir } from './helpers.js';

function get(port: number, path: string, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, headers: host === undefined ? {} : { Host: host } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

test('serve: symlinks out of the roots are not followed; foreign Host headers get 421', async () => {
  const root = tempDir('serve');
  const model = join(root, 'model'), web = join(root, 'web');
  mkdirSync(model); mkdirSync(web);
  // serve verifies the export first: a sealed tintem.json listing no files
  await writeTintemJson(model, {
    format: 'tintem-student', formatVersion: 2, tintemVersion: '0', inputSize: 8, channels: 1, embedDim: 2, tokenGrid: 0, student: {},
    teacher: { id: 't' }, method: 'm', outputs: ['pooled'], preprocessing: {}, files: {},
  });
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>t</title>');
  symlinkSync('/etc', join(model, 'etc-link'));
  symlinkSync('/etc/passwd', join(model, 'passwd'));
  symlinkSync('/etc/hostname', join(web, 'host.txt'));
  writeFileSync(join(root, 'outside.json'), '{"secret":1}');
  symlinkSync(join(root, 'outside.json'), join(model, 'gallery.json'));
  const server = await startServer({ modelDir: model, webDir: web, port: 0 });
  try {
    const own = `127.0.0.1:${server.port}`;
    assert.equal((await get(server.port, '/model/tintem.json', own)).status, 200);
    assert.equal((await get(server.port, '/', `localhost:${server.port}`)).status, 200);
    for (const path of ['/model/etc-link/passwd', '/model/passwd', '/host.txt', '/model/gallery.json', '/model/%2e%2e/outside.json']) {
      const r = await get(server.port, path, own);
      assert.equal(r.status, 404, `${path}: ${r.status}`);
      assert.doesNotMatch(r.body, /root:|secret/);
    }
    for (const host of ['evil.example', `evil.example:${server.port}`, `127.0.0.1:${server.port + 1}`, `localhost.evil.example:${server.port}`]) {
      assert.equal((await get(server.port, '/model/tintem.json', host)).status, 421, `Host: ${host}`);
    }
  } finally {
    await server.close();
  }
  assert.equal(hostAllowed('[::1]:80', '::1', 80), true);
  assert.equal(hostAllowed('192.168.1.5:8080', '0.0.0.0', 8080), true);
  assert.equal(hostAllowed('attacker.example:8080', '0.0.0.0', 8080), false);
});
