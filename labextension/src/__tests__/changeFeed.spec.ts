import { ChangeFeed, changesRoute, parseChanges } from '../changeFeed';
import { Transport } from '../datasetApi';

function answering(bodies: unknown[]): {
  transport: Transport;
  urls: string[];
} {
  const urls: string[] = [];
  const transport: Transport = async url => {
    urls.push(url);
    const body = bodies.shift();
    return new Response(JSON.stringify(body ?? {}), {
      status: body === undefined ? 503 : 200
    });
  };
  return { transport, urls };
}

describe('change feed', () => {
  it('parses the answer, int64 as a string, zero omitted', () => {
    expect(parseChanges({ epoch: 'e', sequence: '12' })).toEqual({
      epoch: 'e',
      sequence: 12
    });
    expect(parseChanges({ epoch: 'e' })).toEqual({ epoch: 'e', sequence: 0 });
    expect(parseChanges({ sequence: '1' })).toBeUndefined();
  });

  it('asks after what it saw', () => {
    expect(changesRoute(null, 25)).toBe('v1/changes?waitSeconds=25');
    expect(changesRoute({ epoch: 'ab', sequence: 3 }, 5)).toBe(
      'v1/changes?waitSeconds=5&epoch=ab&afterSequence=3'
    );
  });

  it('fires on a new sequence or epoch, not on the first answer', async () => {
    const { transport, urls } = answering([
      { epoch: 'a', sequence: '1' },
      { epoch: 'a', sequence: '1' },
      { epoch: 'a', sequence: '2' },
      { epoch: 'b' }
    ]);
    const feed = new ChangeFeed('http://lab/', transport);
    const seen: number[] = [];
    feed.changed.connect((_, changes) => seen.push(changes.sequence));
    for (let i = 0; i < 4; i++) {
      await feed.once(0);
    }
    expect(seen).toEqual([2, 0]);
    expect(urls[2]).toContain('afterSequence=1');
    expect(await feed.once(0)).toBeNull();
  });
});
