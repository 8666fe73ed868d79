import { AuditClient, auditRoute, parseAuditPage } from '../audit/auditApi';
import {
  AuditModel,
  EMPTY_FILTERS,
  NO_QUERY,
  queryOf,
  shortMethod
} from '../audit/auditModel';
import { Transport } from '../datasetApi';

/** One record as the sidecar's gateway answers it. */
const CREATE = {
  time: '2026-12-07T10:00:00.123456789Z',
  subject: 'alice',
  groups: ['lab'],
  kind: 'user',
  method: '/kamld.v1.DatasetService/CreateDataset',
  dataset: 'churn',
  outcome: 'OK',
  requestId: 'req-1',
  clientAddress: '127.0.0.1:5555'
};
const DENIED = {
  ...CREATE,
  subject: 'bob',
  method: '/kamld.v1.FileService/PutFile',
  outcome: 'PERMISSION_DENIED',
  reason: 'PERMISSION_DENIED',
  requestId: 'req-2'
};

const DENIED_BODY = {
  code: 7,
  message: 'only platform admins read the audit log',
  details: [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'PERMISSION_DENIED'
    }
  ]
};

function fake(answers: Array<[number, unknown]>): {
  client: AuditClient;
  urls: string[];
} {
  const urls: string[] = [];
  const transport: Transport = async url => {
    urls.push(url);
    const answer = answers.shift();
    if (!answer) {
      throw new Error('unexpected request');
    }
    return new Response(JSON.stringify(answer[1]), { status: answer[0] });
  };
  return {
    client: new AuditClient({ baseUrl: '/hub/user/x/', transport }),
    urls
  };
}

describe('audit API', () => {
  it('parses a page, defaulting what proto3 JSON leaves out', () => {
    const page = parseAuditPage({ records: [CREATE], nextPageToken: 'n1' });
    expect(page).toEqual({
      records: [{ ...CREATE, reason: '' }],
      nextPageToken: 'n1'
    });
    expect(parseAuditPage({})).toEqual({ records: [], nextPageToken: '' });
    expect(parseAuditPage({ records: 'x' })).toBeUndefined();
    expect(parseAuditPage([])).toBeUndefined();
  });

  it('sends only the filters that are set, in the gateway JSON names', () => {
    expect(auditRoute(NO_QUERY, 50)).toBe('v1/audit/records?pageSize=50');
    const route = auditRoute(
      {
        ...NO_QUERY,
        subject: 'bob',
        outcome: 'PERMISSION_DENIED',
        startTime: '2026-12-07T10:00:00.000Z'
      },
      20,
      'tok/=='
    );
    const params = new URLSearchParams(route.split('?')[1]);
    expect(Object.fromEntries(params)).toEqual({
      pageSize: '20',
      pageToken: 'tok/==',
      subject: 'bob',
      outcome: 'PERMISSION_DENIED',
      startTime: '2026-12-07T10:00:00.000Z'
    });
  });

  it('asks through the Jupyter proxy and reads the refusal of a non-admin', async () => {
    const { client, urls } = fake([[403, DENIED_BODY]]);
    const result = await client.listRecords(NO_QUERY, 10);
    expect(urls).toEqual([
      '/hub/user/x/kamld/api/v1/audit/records?pageSize=10'
    ]);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.failure).toMatchObject({
        httpStatus: 403,
        grpcCode: 7,
        reason: 'PERMISSION_DENIED',
        message: DENIED_BODY.message
      });
    }
  });
});

describe('audit filters', () => {
  it('turns the local time range into RFC 3339 and trims the text fields', () => {
    const made = queryOf({
      ...EMPTY_FILTERS,
      subject: ' bob ',
      since: '2026-12-07T10:00',
      until: '2026-12-07T11:00'
    });
    expect('query' in made).toBe(true);
    if ('query' in made) {
      expect(made.query.subject).toBe('bob');
      expect(made.query.startTime).toBe(
        new Date('2026-12-07T10:00').toISOString()
      );
      expect(
        Date.parse(made.query.endTime) - Date.parse(made.query.startTime)
      ).toBe(3_600_000);
    }
  });

  it('refuses a time that is none and a range that ends before it starts', () => {
    expect(queryOf({ ...EMPTY_FILTERS, since: 'yesterday' })).toEqual({
      problem: 'bad-since'
    });
    expect(queryOf({ ...EMPTY_FILTERS, until: '2026-13-45T99:00' })).toEqual({
      problem: 'bad-until'
    });
    expect(
      queryOf({
        ...EMPTY_FILTERS,
        since: '2026-12-07T11:00',
        until: '2026-12-07T10:00'
      })
    ).toEqual({ problem: 'empty-range' });
  });

  it('shows methods by their name, REST refusals as they are', () => {
    expect(shortMethod('/kamld.v1.DatasetService/CreateDataset')).toBe(
      'CreateDataset'
    );
    expect(shortMethod('HTTP GET /v1/datasets/x')).toBe(
      'HTTP GET /v1/datasets/x'
    );
    expect(shortMethod('')).toBe('');
  });
});

describe('AuditModel', () => {
  it('pages forward and back with the server tokens, filters sent each time', async () => {
    const { client, urls } = fake([
      [200, { records: [CREATE], nextPageToken: 'p2' }],
      [200, { records: [DENIED] }],
      [200, { records: [CREATE], nextPageToken: 'p2' }]
    ]);
    const model = new AuditModel(client, 1);
    const seen: string[] = [];
    model.changed.connect(() => seen.push(model.status));
    await model.apply({ ...EMPTY_FILTERS, dataset: 'churn' });
    expect(model.records.map(r => r.requestId)).toEqual(['req-1']);
    expect([model.pageIndex, model.hasPrevious, model.hasNext]).toEqual([
      0,
      false,
      true
    ]);
    await model.next();
    expect(model.records.map(r => r.requestId)).toEqual(['req-2']);
    expect([model.pageIndex, model.hasPrevious, model.hasNext]).toEqual([
      1,
      true,
      false
    ]);
    await model.next(); // no further page: nothing asked
    await model.previous();
    expect(model.pageIndex).toBe(0);
    expect(
      urls.map(u => new URLSearchParams(u.split('?')[1]).get('pageToken'))
    ).toEqual([null, 'p2', null]);
    expect(urls.every(u => u.includes('dataset=churn'))).toBe(true);
    expect(seen).toEqual([
      'loading',
      'ready',
      'loading',
      'ready',
      'loading',
      'ready'
    ]);
  });

  it('says a non-admin is denied and shows no records', async () => {
    const { client } = fake([[403, DENIED_BODY]]);
    const model = new AuditModel(client);
    await model.apply(EMPTY_FILTERS);
    expect(model.status).toBe('denied');
    expect(model.records).toEqual([]);
    expect(model.failure?.message).toBe(DENIED_BODY.message);
  });

  it('tells an audit log that is off from other failures', async () => {
    const { client } = fake([
      [400, { code: 9, message: 'audit.mode is off', details: [] }],
      [503, { code: 14, message: 'store down', details: [] }]
    ]);
    const model = new AuditModel(client);
    await model.apply(EMPTY_FILTERS);
    expect(model.status).toBe('off');
    await model.reload();
    expect(model.status).toBe('failed');
    expect(model.failure?.message).toBe('store down');
  });

  it('does not send bad filters and keeps the records shown', async () => {
    const { client, urls } = fake([[200, { records: [CREATE] }]]);
    const model = new AuditModel(client);
    await model.apply(EMPTY_FILTERS);
    await model.apply({ ...EMPTY_FILTERS, since: 'soon' });
    expect(urls).toHaveLength(1);
    expect(model.filterProblem).toBe('bad-since');
    expect(model.records).toHaveLength(1);
    expect(model.filters).toEqual(EMPTY_FILTERS);
  });

  it('keeps only the answer of the newest request', async () => {
    let release: () => void = () => undefined;
    const slow = new Promise<void>(resolve => (release = resolve));
    let calls = 0;
    const transport: Transport = async () => {
      calls++;
      if (calls === 1) {
        await slow;
        return new Response(JSON.stringify({ records: [CREATE] }));
      }
      return new Response(JSON.stringify({ records: [DENIED] }));
    };
    const model = new AuditModel(new AuditClient({ baseUrl: '/', transport }));
    const first = model.apply(EMPTY_FILTERS);
    await model.apply({ ...EMPTY_FILTERS, subject: 'bob' });
    release();
    await first;
    expect(model.records.map(r => r.subject)).toEqual(['bob']);
    expect(model.filters.subject).toBe('bob');
  });
});
