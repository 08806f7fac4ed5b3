import t from 'tap';
import { estimateSeats, listHints } from '../../../../pkg/apiserver/flowcontrol/work-estimator.js';
import { requestAttributes } from '../../../../pkg/apiserver/flowcontrol/request-attributes.js';

t.test('lists take a seat per 100 objects they walk, between 1 and the level maximum', async (t) => {
  const cases: { name: string; method?: string; url: string; count: number | undefined; maxSeats?: number; want: number }[] = [
    { name: 'a write', method: 'POST', url: '/api/v1/namespaces/a/configmaps', count: 5000, want: 1 },
    { name: 'a get', url: '/api/v1/namespaces/a/pods/p', count: 5000, want: 1 },
    { name: 'list from the cache: every stored object', url: '/api/v1/pods?resourceVersion=0', count: 450, want: 5 },
    { name: 'list from the cache, capped at 10', url: '/api/v1/pods?resourceVersion=0', count: 5000, want: 10 },
    { name: 'the level bound is lower', url: '/api/v1/pods?resourceVersion=0', count: 5000, maxSeats: 4, want: 4 },
    { name: 'a consistent list from etcd reads the objects and encodes them: twice the limit', url: '/api/v1/pods?limit=100', count: 5000, want: 2 },
    { name: 'from etcd without a limit', url: '/api/v1/pods', count: 250, want: 5 },
    { name: 'from etcd with a selector: all stored plus the limit', url: '/api/v1/pods?limit=100&labelSelector=a%3Db', count: 300, want: 4 },
    { name: 'an empty resource still takes one seat', url: '/api/v1/pods', count: 0, want: 1 },
    { name: 'count unknown (cache not loaded): the maximum', url: '/api/v1/pods', count: undefined, want: 10 },
    { name: 'a plain watch', url: '/api/v1/pods?watch=true', count: 5000, want: 1 },
    { name: 'a watch-list costs its initial events', url: '/api/v1/pods?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan', count: 500, want: 5 },
  ];
  for (const c of cases) {
    const q = c.url.indexOf('?');
    const hints = listHints(new URLSearchParams(q >= 0 ? c.url.slice(q + 1) : ''));
    t.equal(estimateSeats(requestAttributes(c.method ?? 'GET', c.url), hints, c.count, c.maxSeats ?? 10), c.want, c.name);
  }
});
