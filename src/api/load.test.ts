import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REVIEWS_JASON } from './fixtures.js';
import { parseResources } from './load.js';

const DR = (name: string) => `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: ${name}}\nspec: {host: ${name}}\n`;

describe('parseResources', () => {
  it('an empty file, or only comments and separators, holds no resources', () => {
    assert.deepEqual(parseResources('', 'empty.yaml'), []);
    assert.deepEqual(parseResources('# nothing yet\n---\n---\n', 'empty.yaml'), []);
  });

  it('keeps document order and skips empty documents', () => {
    const text = `---\n${DR('a')}---\n# gap\n---\n${DR('b')}---\n${REVIEWS_JASON}`;
    assert.deepEqual(
      parseResources(text, 'm.yaml').map((r) => `${r.kind}/${r.metadata.name}`),
      ['DestinationRule/a', 'DestinationRule/b', 'VirtualService/reviews'],
    );
  });

  it('reads JSON too', () => {
    const json = JSON.stringify({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'j' }, spec: { host: 'j' } });
    assert.equal(parseResources(json, 'dr.json')[0].metadata.name, 'j');
  });

  it('expands kubectl List documents', () => {
    const list = { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: [DR('a'), DR('b')].map((d) => parseResources(d, 'x')[0]) };
    assert.deepEqual(
      parseResources(JSON.stringify(list), 'list.json').map((r) => r.metadata.name),
      ['a', 'b'],
    );
  });

  it('resolves anchors and merge keys, as Kubernetes does', () => {
    const text = [
      'apiVersion: networking.istio.io/v1',
      'kind: DestinationRule',
      'metadata: {name: reviews}',
      'spec:',
      '  host: reviews',
      '  subsets:',
      '  - name: v1',
      '    labels: &v1 {app: reviews, version: v1}',
      '  - name: v1-canary',
      '    labels:',
      '      <<: *v1',
      '      track: canary',
    ].join('\n');
    const [dr] = parseResources(text, 'dr.yaml');
    assert.equal(dr.kind, 'DestinationRule');
    assert.deepEqual(dr.kind === 'DestinationRule' && dr.spec.subsets?.[1].labels, { app: 'reviews', version: 'v1', track: 'canary' });
  });
});
