import {
  LineSplitter,
  normalisePrefix,
  parseUploadEvent,
  readLines,
  UploadProgress
} from '../workspaceUpload';

describe('parseUploadEvent', () => {
  it('reads progress, done and error lines', () => {
    expect(parseUploadEvent('{"path":"a","sent":3,"size":10}')).toEqual({
      kind: 'progress',
      path: 'a',
      sent: 3,
      size: 10
    });
    expect(
      parseUploadEvent('{"path":"a","done":true,"file":{"size":"10"}}')
    ).toEqual({ kind: 'done', path: 'a', size: 10 });
    expect(
      parseUploadEvent('{"path":"b","error":{"code":5,"message":"nope"}}')
    ).toEqual({ kind: 'error', path: 'b', code: 5, message: 'nope' });
  });

  it('ignores blank and malformed lines', () => {
    expect(parseUploadEvent('')).toBeUndefined();
    expect(parseUploadEvent('{not json')).toBeUndefined();
    expect(parseUploadEvent('{"sent":1,"size":2}')).toBeUndefined();
    expect(parseUploadEvent('"text"')).toBeUndefined();
  });
});

describe('LineSplitter', () => {
  it('joins lines split across chunks', () => {
    const splitter = new LineSplitter();
    expect(splitter.push('{"a"')).toEqual([]);
    expect(splitter.push(':1}\n{"b":2}\n{"c"')).toEqual(['{"a":1}', '{"b":2}']);
    expect(splitter.end()).toEqual(['{"c"']);
    expect(splitter.end()).toEqual([]);
  });
});

describe('UploadProgress', () => {
  it('aggregates bytes and files', () => {
    const progress = new UploadProgress();
    progress.applyLine('{"path":"a","sent":0,"size":10}');
    progress.applyLine('{"path":"a","sent":5,"size":10}');
    expect(progress.fraction).toBe(0.5);
    progress.applyLine('{"path":"a","done":true,"file":{"size":"10"}}');
    progress.applyLine('{"path":"b","sent":0,"size":30}');
    expect(progress.sentBytes).toBe(10);
    expect(progress.totalBytes).toBe(40);
    expect(progress.fraction).toBe(0.25);
    progress.applyLine('{"path":"b","error":{"code":5,"message":"missing"}}');
    progress.applyLine('garbage');
    expect(progress.files).toBe(2);
    expect(progress.finishedFiles).toBe(2);
    expect(progress.doneFiles).toEqual(['a']);
    expect(progress.errors).toEqual([{ path: 'b', message: 'missing' }]);
  });

  it('counts empty files as complete', () => {
    const progress = new UploadProgress();
    expect(progress.fraction).toBe(0);
    progress.applyLine('{"path":"e","sent":0,"size":0}');
    progress.applyLine('{"path":"e","done":true,"file":{"size":"0"}}');
    expect(progress.fraction).toBe(1);
  });
});

describe('readLines', () => {
  it('reads a streamed body line by line', async () => {
    const encoder = new TextEncoder();
    const chunks = [
      '{"path":"a",',
      '"sent":1,"size":2}\n{"pa',
      'th":"a","done":true}\n'
    ];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        chunks.forEach(chunk => controller.enqueue(encoder.encode(chunk)));
        controller.close();
      }
    });
    const lines: string[] = [];
    await readLines(stream, line => lines.push(line));
    expect(lines).toEqual([
      '{"path":"a","sent":1,"size":2}',
      '{"path":"a","done":true}'
    ]);
  });
});

describe('normalisePrefix', () => {
  it('gives "" or a folder ending in "/"', () => {
    expect(normalisePrefix('')).toBe('');
    expect(normalisePrefix(' / ')).toBe('');
    expect(normalisePrefix('/data')).toBe('data/');
    expect(normalisePrefix('data/raw//')).toBe('data/raw/');
  });
});
