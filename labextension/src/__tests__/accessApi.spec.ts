import {
  AccessClient,
  accessRoute,
  parseAccess,
  withGrant
} from '../accessApi';
import { Transport } from '../datasetApi';

/** GetAccess as the sidecar's gateway answers it. */
const POLICY = {
  name: 'datasets/churn/access',
  owner: 'alice',
  visibility: 'private',
  grants: [
    { kind: 'user', name: 'bob', role: 'reader' },
    { kind: 'group', name: 'ml-team', role: 'writer' }
  ],
  etag: '18eab1173b9768f2',
  yourRole: 'admin'
};

function fake(answers: Array<[number, unknown]>): {
  client: AccessClient;
  calls: Array<{ url: string; init: RequestInit }>;
} {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const transport: Transport = async (url, init) => {
    calls.push({ url, init });
    const answer = answers.shift();
    if (!answer) {
      throw new Error('unexpected request');
    }
    return new Response(JSON.stringify(answer[1]), { status: answer[0] });
  };
  return { client: new AccessClient({ baseUrl: '/lab/', transport }), calls };
}

describe('access policy', () => {
  it('parses a policy and drops grants it does not understand', () => {
    const access = parseAccess({
      ...POLICY,
      grants: [...POLICY.grants, { kind: 'team', name: 'x', role: 'reader' }]
    });
    expect(access).toEqual({
      owner: 'alice',
      visibility: 'private',
      grants: POLICY.grants,
      etag: POLICY.etag,
      yourRole: 'admin'
    });
    expect(parseAccess({ visibility: 'world' })).toBeUndefined();
    expect(parseAccess('nope')).toBeUndefined();
  });

  it('adds, changes and removes one grant, keeping the others', () => {
    const grants = parseAccess(POLICY)!.grants;
    expect(withGrant(grants, 'user', 'carol', 'admin')).toHaveLength(3);
    expect(withGrant(grants, 'user', 'bob', 'writer')).toEqual([
      { kind: 'group', name: 'ml-team', role: 'writer' },
      { kind: 'user', name: 'bob', role: 'writer' }
    ]);
    expect(withGrant(grants, 'user', 'bob', null)).toEqual([
      { kind: 'group', name: 'ml-team', role: 'writer' }
    ]);
    expect(withGrant(grants, 'group', 'bob', null)).toEqual(grants);
  });

  it('reads and replaces the policy with its etag', async () => {
    const { client, calls } = fake([
      [200, POLICY],
      [200, { ...POLICY, visibility: 'internal', etag: 'e2' }]
    ]);
    const got = await client.getAccess('churn');
    expect(got.ok && got.value.grants).toHaveLength(2);
    expect(calls[0].url).toBe('/lab/kamld/api/' + accessRoute('churn'));
    const saved = await client.setAccess('churn', {
      visibility: 'internal',
      grants: [],
      etag: POLICY.etag
    });
    expect(saved.ok && saved.value.etag).toBe('e2');
    expect(calls[1].init.method).toBe('PUT');
    expect(JSON.parse(String(calls[1].init.body))).toEqual({
      visibility: 'internal',
      grants: [],
      etag: POLICY.etag
    });
  });

  it('reports a refused change with the server message', async () => {
    const { client } = fake([
      [
        403,
        {
          code: 7,
          message: 'dataset "churn": you are a reader of it',
          details: []
        }
      ]
    ]);
    const saved = await client.setAccess('churn', {
      visibility: 'public',
      grants: [],
      etag: ''
    });
    expect(saved.ok).toBe(false);
    expect(!saved.ok && saved.failure.message).toContain('reader');
  });
});
