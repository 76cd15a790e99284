import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeaderList } from '../http/headers.js';
import { RedirectBuilder } from './redirect.js';
import { replacePath } from './path-replace.js';
import type { RedirectAction } from '../../model/snapshot.js';

const input = (authority: string, path: string) => ({ authority, path, method: 'GET', headers: new HeaderList() });
const loc = (action: RedirectAction, authority: string, path: string, scheme = 'http', prefixLen = -1) =>
  new RedirectBuilder(action, prefixLen).location(input(authority, path), scheme);

test('replacePath: whole path keeps the query, prefix replaces the matched prefix', () => {
  assert.equal(replacePath('/a/b?x=1', '/c', undefined, -1), '/c?x=1');
  assert.equal(replacePath('/a/b', '/c', undefined, -1), '/c');
  assert.equal(replacePath('/a/b?x=1', '/c?y=2', undefined, -1), '/c?y=2', 'a query in the replacement replaces the request query');
  assert.equal(replacePath('/api/v1/users?x=1', undefined, '/v2', 7), '/v2/users?x=1');
  assert.equal(replacePath('/api/x', undefined, '/', 4), '//x', 'literal, as Envoy prefix_rewrite');
  assert.equal(replacePath('/api/x', undefined, '/', 5), '/x');
  assert.equal(replacePath('/exact?x=1', undefined, '/other', -1), '/other?x=1', 'not a prefix match: whole path');
  assert.equal(replacePath('/same?x', undefined, undefined, 3), '/same?x');
});

test('https redirect keeps host, path and query; drops a port 80', () => {
  assert.equal(loc({ scheme: 'https' }, 'shop.example.com', '/cart?id=7'), 'https://shop.example.com/cart?id=7');
  assert.equal(loc({ scheme: 'https' }, 'shop.example.com:80', '/'), 'https://shop.example.com/');
  assert.equal(loc({ scheme: 'https' }, 'shop.example.com:8080', '/'), 'https://shop.example.com:8080/');
  assert.equal(loc({ scheme: 'HTTPS' }, 'Shop.Example.com.', '/'), 'https://Shop.Example.com/', 'host as sent, trailing dot dropped');
});

test('host redirect drops the old port unless one is configured', () => {
  assert.equal(loc({ host: 'new.example.com' }, 'old.example.com:9080', '/p?q'), 'http://new.example.com/p?q');
  assert.equal(loc({ host: 'new.example.com', port: 8443 }, 'old:9080', '/p', 'https'), 'https://new.example.com:8443/p');
  assert.equal(loc({ host: 'new.example.com:8443' }, 'old', '/p'), 'http://new.example.com:8443/p');
  assert.equal(loc({ host: 'new.example.com:9000', port: 9001 }, 'old', '/p'), 'http://new.example.com:9001/p', 'port wins over a port in host');
});

test('port redirect; the default port of the final scheme is never written', () => {
  assert.equal(loc({ port: 8080 }, 'a:9080', '/'), 'http://a:8080/');
  assert.equal(loc({ port: 80 }, 'a:9080', '/'), 'http://a/');
  assert.equal(loc({ scheme: 'https', port: 443 }, 'a:9080', '/'), 'https://a/');
  assert.equal(loc({}, 'a:443', '/', 'https'), 'https://a/');
  assert.equal(loc({}, '[::1]:8080', '/x'), 'http://[::1]:8080/x');
});

test('path and pathPrefix redirects keep the query', () => {
  assert.equal(loc({ path: '/login' }, 'a', '/account/settings?next=1'), 'http://a/login?next=1');
  assert.equal(loc({ pathPrefix: '/v2/' }, 'a', '/v1/users?page=2', 'http', 4), 'http://a/v2/users?page=2');
  assert.equal(loc({ pathPrefix: '/new' }, 'a', '/exact?x', 'http', -1), 'http://a/new?x');
});

test('scheme, host, port and path together', () => {
  assert.equal(
    loc({ scheme: 'https', host: 'secure.example.com', port: 8443, path: '/home' }, 'www.example.com', '/index.html?lang=fr'),
    'https://secure.example.com:8443/home?lang=fr',
  );
});
