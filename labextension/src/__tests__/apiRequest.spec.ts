import { jsonRequester, requestJson } from '../apiRequest';
import { Transport } from '../datasetApi';

function answering(
  status: number,
  body: string
): {
  transport: Transport;
  calls: Array<{ url: string; init: RequestInit }>;
} {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const transport: Transport = async (url, init) => {
    calls.push({ url, init });
    return new Response(body, { status });
  };
  return { transport, calls };
}

const asName = (b: unknown): string | undefined =>
  typeof b === 'object' && b !== null && 'name' in b
    ? String((b as { name: unknown }).name)
    : undefined;

describe('requestJson', () => {
  it('sends JSON through the proxy and parses the answer', async () => {
    const { transport, calls } = answering(200, '{"name":"iris"}');
    const result = await requestJson(
      transport,
      '/lab',
      'POST',
      'v1/datasets',
      { id: 'iris' },
      asName
    );
    expect(result).toEqual({ ok: true, value: 'iris' });
    expect(calls[0].url).toBe('/lab/kamld/api/v1/datasets');
    expect(calls[0].init.body).toBe('{"id":"iris"}');
    expect(calls[0].init.headers).toEqual({
      'Content-Type': 'application/json'
    });
  });

  it('sends no body or content type for a GET', async () => {
    const { transport, calls } = answering(200, '{"name":"iris"}');
    await jsonRequester(transport, '/lab/')('GET', 'v1/x', undefined, asName);
    expect(calls[0].init.body).toBeUndefined();
    expect(calls[0].init.headers).toBeUndefined();
  });

  it('decodes a google.rpc.Status failure with its field violations', async () => {
    const { transport } = answering(
      400,
      JSON.stringify({
        code: 3,
        message: 'invalid id',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.BadRequest',
            fieldViolations: [{ field: 'id', description: 'too long' }]
          }
        ]
      })
    );
    const result = await requestJson(
      transport,
      '/',
      'GET',
      'v1/x',
      undefined,
      asName
    );
    expect(result).toEqual({
      ok: false,
      failure: {
        kind: 'http',
        httpStatus: 400,
        grpcCode: 3,
        reason: undefined,
        message: 'invalid id',
        fieldViolations: [{ field: 'id', description: 'too long' }],
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.BadRequest',
            fieldViolations: [{ field: 'id', description: 'too long' }]
          }
        ]
      }
    });
  });

  it('reports an answer the parser does not recognise', async () => {
    const { transport } = answering(200, '<html>proxy page</html>');
    const result = await requestJson(
      transport,
      '/',
      'GET',
      'v1/x',
      undefined,
      asName
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.failure.kind).toBe('invalid-response');
    expect(!result.ok && result.failure.message).toBe(
      'unexpected response from v1/x'
    );
  });

  it('reports no answer as a network failure', async () => {
    const transport: Transport = async () => {
      throw new TypeError('Failed to fetch');
    };
    const result = await requestJson(
      transport,
      '/',
      'GET',
      'v1/x',
      undefined,
      asName
    );
    expect(result).toEqual({
      ok: false,
      failure: {
        kind: 'network',
        message: 'Failed to fetch',
        fieldViolations: []
      }
    });
  });
});
