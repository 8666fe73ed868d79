import { DatasetClient, Transport } from '../datasetApi';
import { datasetInputChoices, inputLine, withInputLine } from '../inputChoices';

/** Answers the two list calls the picker makes, and notes each URL asked. */
function client(asked: string[]): DatasetClient {
  const answers: Record<string, unknown> = {
    'v1/datasets?pageSize=1000&orderBy=create_time%20desc': {
      datasets: [
        { name: 'datasets/iris', id: 'iris' },
        { name: 'datasets/penguins', id: 'penguins' }
      ],
      nextPageToken: ''
    },
    'v1/datasets/iris/snapshots?pageSize=1000': {
      snapshots: [
        { version: 'v1', sequence: '1', tags: ['baseline'] },
        { version: 'v2', sequence: '2', tags: [] }
      ],
      nextPageToken: ''
    }
  };
  const transport: Transport = async url => {
    const route = url.replace('/lab/kamld/api/', '');
    asked.push(route);
    const body = answers[route];
    return new Response(
      JSON.stringify(body ?? { code: 5, message: `no route ${route}` }),
      { status: body ? 200 : 404 }
    );
  };
  return new DatasetClient({ baseUrl: '/lab/', transport });
}

describe('job input choices', () => {
  it('offer readable datasets newest first, then versions newest first and tags', async () => {
    const asked: string[] = [];
    const choices = datasetInputChoices(client(asked));
    expect(await choices.datasets()).toEqual(['iris', 'penguins']);
    expect(await choices.refs('iris')).toEqual(['v2', 'v1', 'baseline']);
    expect(await choices.refs('gone')).toEqual([]);
    expect(asked).toContain('v1/datasets/gone/snapshots?pageSize=1000');
  });

  it('write one input line per pick, without repeating one', () => {
    expect(inputLine('iris', 'v1', '/data/')).toBe('iris@v1:/data');
    expect(inputLine('iris', 'baseline', '  ')).toBe('iris@baseline:/data');
    const once = withInputLine('', inputLine('iris', 'v1', 'data'));
    expect(once).toBe('iris@v1:/data');
    const twice = withInputLine(`${once}\n\n`, 'penguins@v3:/p');
    expect(twice).toBe('iris@v1:/data\npenguins@v3:/p');
    expect(withInputLine(twice, 'iris@v1:/data')).toBe(twice);
  });
});
